import { unitCosts } from "../../../../services/unit-cost-service";
import { unitCostJson } from "../../../unit-costs/unit-cost-output";
import { toUnitCostQuery, unitCostParamsSchema } from "../../../unit-costs/unit-cost-params";
import { heavyReadProcedure } from "../../heavy-read-procedure";

/** The unit-cost API for the web app: same parameters and rows as GET /api/v1/unit-costs (JSON only). */
export const getUnitCostsProcedure = heavyReadProcedure
  .input(unitCostParamsSchema.omit({ format: true }))
  .query(async ({ ctx, input }) => {
    const { query } = toUnitCostQuery({ ...input, format: "json" }, ctx.nowMs());
    return unitCostJson(await unitCosts(ctx.db, query, ctx.scope), query);
  });
