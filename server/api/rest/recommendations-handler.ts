import { z } from "zod";
import type { DataScope, Principal } from "../../auth/principal";
import type { AppPrismaClient } from "../../db/prisma-client";
import type { SqlDatabase } from "../../db/sql-database";
import {
  exportPlan,
  RECOMMENDATION_KINDS,
  RECOMMENDATION_STATES,
  setRecommendationState,
} from "../../services/recommendation-service";
import { getLatestFleetPlan } from "../../services/fleet-plan-store";
import { fleetPlanInScope, getRecommendationInScope, listRecommendationsInScope } from "../../services/recommendation-scope";
import type { RecommendationRunner } from "../../services/recommendation-runner";
import { ServiceError } from "../../services/service-error";
import { requireAdmin } from "./admin-auth";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";
import { readJsonBody } from "./read-request-body";

export interface RecommendationsContext {
  db: SqlDatabase;
  prisma: AppPrismaClient;
  adminToken: string | undefined;
  /** The principal the route resolved (a signed-in admin or an admin's API token may write; see requireAdmin). */
  signedIn?: Principal | null;
  nowMs: () => number;
  /** Where an on-demand run executes (the server: a child process, one at a time). */
  runRecommendations: RecommendationRunner;
  /** The rows the caller may read (its principal's DataScope). */
  scope: DataScope;
}

export const listRecommendationsQuery = z.object({
  state: z.enum(RECOMMENDATION_STATES).optional(),
  kind: z.enum(RECOMMENDATION_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

/** A what-if key: `cluster/id` of a workload or `cluster/hostname` of a node, as the plan names them. */
const planKeySchema = z.string().min(3).max(1000).regex(/^[^/]+\/.+$/s, "expected CLUSTER/NAME");

/** Workloads and nodes a re-plan leaves as they are. */
export const planExclusionSchema = z.object({
  workloads: z.array(planKeySchema).max(1000).default([]),
  nodes: z.array(planKeySchema).max(1000).default([]),
});

export const runRecommendationsBody = z.object({
  lookbackDays: z.number().positive().max(400).default(14),
  exclude: planExclusionSchema.optional(),
});

export const setStateBody = z.object({ state: z.enum(RECOMMENDATION_STATES) });

const idSchema = z.coerce.number().int().positive();

function queryObject(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams.entries());
}

function parseId(id: string): number {
  return parseOrThrow(z.object({ id: idSchema }), { id }).id;
}

/** GET /api/v1/recommendations?state=open&kind=packing: recommendations, largest projected saving first. */
export async function handleListRecommendations(request: Request, context: RecommendationsContext): Promise<Response> {
  try {
    const query = parseOrThrow(listRecommendationsQuery, queryObject(request));
    return jsonResponse({ recommendations: await listRecommendationsInScope(context.db, context.prisma, query, context.scope) });
  } catch (error) {
    return responseForError(error);
  }
}

/** POST /api/v1/recommendations/run (admin): runs the optimizer now; body `{ "lookbackDays": 14 }` optional. */
export async function handleRunRecommendations(request: Request, context: RecommendationsContext): Promise<Response> {
  try {
    const actor = requireAdmin(request, context.adminToken, context.signedIn);
    // The body is optional: an empty one runs with the defaults.
    const raw = await request.text();
    if (raw.length > 16 * 1024) throw new ServiceError(413, "body: larger than the limit of 16384 bytes");
    let parsed: unknown = {};
    if (raw.trim() !== "") {
      try {
        parsed = JSON.parse(raw);
      } catch (error) {
        throw new ServiceError(400, `body: not valid JSON (${(error as Error).message})`);
      }
    }
    const body = parseOrThrow(runRecommendationsBody, parsed);
    const recommendations = await context.runRecommendations({ nowMs: context.nowMs(), lookbackDays: body.lookbackDays, exclude: body.exclude, actor });
    return jsonResponse({ recommendations }, 201);
  } catch (error) {
    return responseForError(error);
  }
}

/** POST /api/v1/recommendations/{id}/state (admin): body `{ "state": "accepted" }`; a bad transition is 409. */
export async function handleSetRecommendationState(request: Request, id: string, context: RecommendationsContext): Promise<Response> {
  try {
    const actor = requireAdmin(request, context.adminToken, context.signedIn);
    const recommendationId = parseId(id);
    const body = parseOrThrow(setStateBody, await readJsonBody(request, 16 * 1024));
    return jsonResponse(await setRecommendationState(context.prisma, recommendationId, body.state, context.nowMs(), actor));
  } catch (error) {
    return responseForError(error);
  }
}

/** GET /api/v1/recommendations/{id}/plan[?format=shell]: the plan as JSON, or its shell lines as text/plain. */
export async function handleGetRecommendationPlan(request: Request, id: string, context: RecommendationsContext): Promise<Response> {
  try {
    const recommendationId = parseId(id);
    const { format } = parseOrThrow(z.object({ format: z.enum(["json", "shell"]).default("json") }), { format: queryObject(request).format });
    const plan = exportPlan(await getRecommendationInScope(context.db, context.prisma, recommendationId, context.scope));
    if (format === "shell") {
      return new Response(plan.shell.join("\n") + "\n", {
        status: 200,
        headers: { "content-type": "text/plain; charset=utf-8", "content-disposition": `inline; filename="recommendation-${recommendationId}.sh"` },
      });
    }
    return jsonResponse(plan);
  } catch (error) {
    return responseForError(error);
  }
}

/** GET /api/v1/recommendations/fleet-plan: the latest fleet plan, 404 before the first run. */
export async function handleGetFleetPlan(_request: Request, context: Pick<RecommendationsContext, "prisma" | "scope">): Promise<Response> {
  try {
    const plan = fleetPlanInScope(await getLatestFleetPlan(context.prisma), context.scope);
    if (!plan) throw new ServiceError(404, "fleet plan: none yet; run the optimizer (POST /api/v1/recommendations/run)");
    return jsonResponse(plan);
  } catch (error) {
    return responseForError(error);
  }
}
