import { z } from "zod";
import { listPriceEntries } from "../../../../services/price-book-service";
import { publicProcedure } from "../../init";

/** The price book, with the cost-of-ownership parts of on-prem entries. */
export const listPricesProcedure = publicProcedure.input(z.object({}).optional()).query(({ ctx }) => listPriceEntries(ctx.prisma));
