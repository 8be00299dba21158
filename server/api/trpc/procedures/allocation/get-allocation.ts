import { allocationJson } from "../../../allocation/allocation-output";
import { allocationParamsSchema, toAllocationQuery } from "../../../allocation/allocation-params";
import { allocate } from "../../../../services/allocation-service";
import { heavyReadProcedure } from "../../heavy-read-procedure";

/** The allocation API for the web app: same parameters and rows as GET /api/v1/allocation (JSON only). */
export const getAllocationProcedure = heavyReadProcedure
  .input(allocationParamsSchema.omit({ format: true }))
  .query(async ({ ctx, input }) => {
    const { query } = toAllocationQuery({ ...input, format: "json" }, ctx.nowMs());
    return allocationJson(await allocate(ctx.db, query, ctx.scope), query);
  });
