import { allocationJson } from "../../../allocation/allocation-output";
import { allocationParamsSchema, toAllocationQuery } from "../../../allocation/allocation-params";
import { allocate } from "../../../../services/allocation-service";
import { publicProcedure } from "../../init";

/** The allocation API for the web app: same parameters and rows as GET /api/v1/allocation (JSON only). */
export const getAllocationProcedure = publicProcedure
  .input(allocationParamsSchema.omit({ format: true }))
  .query(async ({ ctx, input }) => {
    const { query } = toAllocationQuery({ ...input, format: "json" }, ctx.nowMs());
    return allocationJson(await allocate(ctx.db, query), query);
  });
