/**
 * Recommendations and the fleet plan as a DataScope may see them: a member sees
 * the recommendations that touch their teams' jobs, and of the fleet plan its
 * totals and their own workloads (not other teams' workloads, the nodes, or the
 * solver's messages, which name them).
 */
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import type { DataScope } from "../auth/principal";
import { teamScopeSql } from "../auth/data-scope";
import type { StoredFleetPlan } from "./fleet-plan-store";
import { getRecommendation, listRecommendations, type Recommendation, type RecommendationKind, type RecommendationState, type RecommendationSummary } from "./recommendation-service";
import { ServiceError } from "./service-error";

/** The jobs a scope covers: by cluster and external id, and by external id alone (older recommendations name only that). */
export interface JobsInScope {
  workloads: ReadonlySet<string>;
  externalIds: ReadonlySet<string>;
}

const workloadKey = (cluster: string, externalId: string) => `${cluster}\u0000${externalId}`;

/** Null for a scope of all data (nothing to filter). */
export async function loadJobsInScope(db: SqlDatabase, scope: DataScope): Promise<JobsInScope | null> {
  if (scope.kind === "all") return null;
  const inScope = teamScopeSql(scope, "j");
  const rows = await db.query<{ cluster: string; external_id: string }>(
    `SELECT c.name AS cluster, j.external_id FROM job j JOIN cluster c ON c.id = j.cluster_id WHERE 1 = 1${inScope.sql}`,
    inScope.params,
  );
  return { workloads: new Set(rows.map((row) => workloadKey(row.cluster, row.external_id))), externalIds: new Set(rows.map((row) => row.external_id)) };
}

/** Pure: whether a recommendation touches any job in scope. */
export function touchesJobsInScope(recommendation: Recommendation, jobs: JobsInScope): boolean {
  const workloads = recommendation.inputs.affectedWorkloads;
  if (workloads !== undefined && workloads.length > 0) return workloads.some((ref) => jobs.workloads.has(workloadKey(ref.cluster, ref.externalId)));
  return (recommendation.inputs.affectedJobs ?? []).some((id) => jobs.externalIds.has(id));
}

export async function listRecommendationsInScope(
  db: SqlDatabase,
  prisma: AppPrismaClient,
  query: { state?: RecommendationState; kind?: RecommendationKind; limit?: number },
  scope: DataScope,
): Promise<Recommendation[]> {
  const jobs = await loadJobsInScope(db, scope);
  if (jobs === null) return listRecommendations(prisma, query);
  // Filtered after reading: the limit counts the recommendations the member sees.
  const all = await listRecommendations(prisma, { ...query, limit: 100_000 });
  return all.filter((recommendation) => touchesJobsInScope(recommendation, jobs)).slice(0, query.limit ?? 500);
}

export async function summarizeRecommendationsInScope(db: SqlDatabase, prisma: AppPrismaClient, state: RecommendationState, scope: DataScope): Promise<RecommendationSummary> {
  const visible = await listRecommendationsInScope(db, prisma, { state, limit: 100_000 }, scope);
  return { count: visible.length, largest: visible[0] ?? null };
}

/** One recommendation, or 404 (as if absent) when it touches none of the scope's jobs. */
export async function getRecommendationInScope(db: SqlDatabase, prisma: AppPrismaClient, id: number, scope: DataScope): Promise<Recommendation> {
  const recommendation = await getRecommendation(prisma, id);
  const jobs = await loadJobsInScope(db, scope);
  if (jobs !== null && !touchesJobsInScope(recommendation, jobs)) throw new ServiceError(404, `recommendation ${id} not found`, "id");
  return recommendation;
}

/** Pure: the fleet plan as the scope sees it (totals for everyone; workloads, nodes and messages for all-data scopes only). */
export function fleetPlanInScope(plan: StoredFleetPlan | null, scope: DataScope): StoredFleetPlan | null {
  if (plan === null || scope.kind === "all") return plan;
  const workloads = plan.workloads.filter((workload) => workload.team !== null && scope.teams.includes(workload.team));
  const keys = new Set(workloads.map((workload) => workload.key));
  return { ...plan, workloads, nodes: [], messages: [], exclude: { workloads: plan.exclude.workloads.filter((key) => keys.has(key)), nodes: [] } };
}
