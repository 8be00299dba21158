import { estimateFromBody, estimateRequestSchema } from "../../../rest/estimate-handler";
import { heavyReadProcedure } from "../../heavy-read-procedure";

/** The pre-launch estimate for the web app: same body and answer as POST /api/v1/estimate. */
export const getEstimateProcedure = heavyReadProcedure.input(estimateRequestSchema).query(({ ctx, input }) => estimateFromBody(ctx.db, input, ctx.nowMs(), ctx.scope));
