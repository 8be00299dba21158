import { newPriceEntryFrom, newPriceSchema } from "../../../rest/prices-handler";
import { addPriceEntry } from "../../../../services/price-book-service";
import { adminProcedure } from "../../init";

/** The same body as POST /api/v1/prices: a cloud rate or cost-of-ownership inputs, effective from an RFC 3339 time. */
export const addPriceInput = newPriceSchema;

/** Adds a price to the price book (admin only); costs of the hours it covers change with it. */
export const addPriceProcedure = adminProcedure
  .input(addPriceInput)
  .mutation(({ ctx, input }) => addPriceEntry(ctx.prisma, newPriceEntryFrom(input), ctx.nowMs(), ctx.principal));
