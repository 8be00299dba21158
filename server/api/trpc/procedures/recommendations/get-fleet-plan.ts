import { z } from "zod";
import { getLatestFleetPlan } from "../../../../services/fleet-plan-store";
import { fleetPlanInScope } from "../../../../services/recommendation-scope";
import { publicProcedure } from "../../init";

export const getFleetPlanInput = z.object({}).optional();

/** The latest fleet plan (summary, hourly series, what-if list), or null before the first run (same as GET /api/v1/recommendations/fleet-plan). */
export const getFleetPlanProcedure = publicProcedure.input(getFleetPlanInput).query(async ({ ctx }) => fleetPlanInScope(await getLatestFleetPlan(ctx.prisma), ctx.scope));
