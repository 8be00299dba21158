/**
 * Storage of the fleet plan: one row per run (its summary, hourly series, phases
 * and exclusions) and its actions as recommendations pointing at it, written in
 * one transaction so a failure leaves neither a plan without its findings nor
 * findings of half a plan.
 */
import type { Principal } from "../auth/principal";
import type { AppPrismaClient } from "../db/prisma-client";
import type { PlanFinding, PlanNodeRow, PlanWorkloadRow } from "../domain/plan-findings";
import type { FleetPlan, PlanInput, PlanModelSummary } from "../../solver/plan/types";
import { recordAudit } from "./audit-log";

export interface StoredFleetPlan {
  id: number;
  createdAtMs: number;
  windowStartMs: number;
  windowEndMs: number;
  status: FleetPlan["status"];
  currency: string | null;
  costPerWeek: FleetPlan["costPerWeek"];
  bound: FleetPlan["bound"];
  saving: FleetPlan["saving"];
  hourly: FleetPlan["hourly"];
  models: PlanModelSummary[];
  /** Every workload the plan considered: where it is and where the plan puts it (the what-if list). */
  workloads: PlanWorkloadRow[];
  /** Every node the plan considered: drained or kept, excluded or not. */
  nodes: PlanNodeRow[];
  phases: FleetPlan["phases"];
  exclude: { workloads: string[]; nodes: string[] };
  /** The solver's messages, then what the input left out. */
  messages: string[];
  actionCount: number;
  seconds: number;
}

type FleetPlanRow = NonNullable<Awaited<ReturnType<AppPrismaClient["fleetPlan"]["findFirst"]>>>;
type Transaction = Parameters<Parameters<AppPrismaClient["$transaction"]>[0]>[0];

export function toStoredFleetPlan(row: FleetPlanRow): StoredFleetPlan {
  return {
    id: row.id,
    createdAtMs: Number(row.createdAtMs),
    windowStartMs: Number(row.windowStartMs),
    windowEndMs: Number(row.windowEndMs),
    status: row.status as FleetPlan["status"],
    currency: row.currency,
    costPerWeek: { today: row.costPerWeekToday, plan: row.costPerWeekPlan },
    bound: JSON.parse(row.boundJson) as FleetPlan["bound"],
    saving: { cashPerMonth: row.cashSavingPerMonth, capacityFreedGpuHoursPerMonth: row.capacityFreedGpuHoursPerMonth, rentEquivalentPerMonth: row.rentEquivalentPerMonth },
    hourly: JSON.parse(row.hourlyJson) as FleetPlan["hourly"],
    models: JSON.parse(row.modelsJson) as PlanModelSummary[],
    workloads: JSON.parse(row.workloadsJson) as PlanWorkloadRow[],
    nodes: JSON.parse(row.nodesJson) as PlanNodeRow[],
    phases: JSON.parse(row.phasesJson) as FleetPlan["phases"],
    exclude: JSON.parse(row.excludeJson) as StoredFleetPlan["exclude"],
    messages: JSON.parse(row.messagesJson) as string[],
    actionCount: row.actionCount,
    seconds: row.seconds,
  };
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

export interface FleetPlanToStore {
  plan: FleetPlan;
  input: PlanInput;
  workloads: PlanWorkloadRow[];
  nodes: PlanNodeRow[];
  findings: readonly PlanFinding[];
  leftOut: readonly string[];
  at: { nowMs: number; windowStartMs: number; windowEndMs: number };
  /** Who asked for this run (an on-demand run): the audit log records it with the plan. Scheduled runs have none. */
  requestedBy?: { actor: Principal; lookbackDays: number };
}

type RecommendationRow = Awaited<ReturnType<AppPrismaClient["recommendation"]["create"]>>;

async function createPlanRow(tx: Transaction, toStore: FleetPlanToStore): Promise<FleetPlanRow> {
  const { plan, input, at } = toStore;
  return tx.fleetPlan.create({
    data: {
      createdAtMs: BigInt(at.nowMs),
      windowStartMs: BigInt(at.windowStartMs),
      windowEndMs: BigInt(at.windowEndMs),
      status: plan.status,
      currency: plan.currency,
      costPerWeekToday: finite(plan.costPerWeek.today),
      costPerWeekPlan: finite(plan.costPerWeek.plan),
      boundJson: JSON.stringify(plan.bound),
      cashSavingPerMonth: finite(plan.saving.cashPerMonth),
      capacityFreedGpuHoursPerMonth: finite(plan.saving.capacityFreedGpuHoursPerMonth),
      rentEquivalentPerMonth: plan.saving.rentEquivalentPerMonth === null ? null : finite(plan.saving.rentEquivalentPerMonth),
      hourlyJson: JSON.stringify(plan.hourly),
      modelsJson: JSON.stringify(plan.models),
      workloadsJson: JSON.stringify(toStore.workloads),
      nodesJson: JSON.stringify(toStore.nodes),
      phasesJson: JSON.stringify(plan.phases),
      excludeJson: JSON.stringify({ workloads: input.exclude?.workloads ?? [], nodes: input.exclude?.nodes ?? [] }),
      messagesJson: JSON.stringify([...plan.messages, ...toStore.leftOut]),
      actionCount: plan.actions.length,
      seconds: finite(plan.seconds),
    },
  });
}

/**
 * Stores a plan and its findings. The plan supersedes every open recommendation
 * (the older kinds and the actions of earlier plans: their savings do not add up
 * with this plan's); an accepted one holds its subject, so the same action is
 * not stored again while someone is applying it.
 */
export async function storeFleetPlan(prisma: AppPrismaClient, toStore: FleetPlanToStore): Promise<{ plan: StoredFleetPlan; recommendations: RecommendationRow[] }> {
  const { at } = toStore;
  return prisma.$transaction(
    async (tx) => {
      await tx.recommendation.deleteMany({ where: { state: "open" } });
      const held = new Set((await tx.recommendation.findMany({ where: { state: "accepted" }, select: { subject: true } })).map((r) => r.subject));
      const planRow = await createPlanRow(tx, toStore);
      const recommendations: RecommendationRow[] = [];
      for (const f of toStore.findings) {
        if (held.has(f.subject)) continue;
        recommendations.push(
          await tx.recommendation.create({
            data: {
              kind: f.kind,
              state: "open",
              subject: f.subject,
              title: f.title.slice(0, 500),
              createdAtMs: BigInt(at.nowMs),
              windowStartMs: BigInt(at.windowStartMs),
              windowEndMs: BigInt(at.windowEndMs),
              inputsJson: JSON.stringify(f.inputs),
              resultJson: JSON.stringify({ ...f.result, planId: planRow.id }),
              projectedMonthlySaving: finite(f.projectedMonthlySaving),
              currency: f.currency,
              boundJson: JSON.stringify(f.bound),
              baselineJson: JSON.stringify(f.baseline),
              solveSeconds: finite(f.solveSeconds),
              stateChangedAtMs: BigInt(at.nowMs),
              planId: planRow.id,
            },
          }),
        );
      }
      if (toStore.requestedBy) await recordRunAudit(tx, toStore, planRow, recommendations.length);
      return { plan: toStoredFleetPlan(planRow), recommendations };
    },
    // A plan of a large fleet has thousands of findings: more than Prisma's default 5 s.
    { timeout: 120_000, maxWait: 30_000 },
  );
}

/** A run with exclusions is a what-if on named workloads and nodes: its own action, so the log can be searched for them. */
async function recordRunAudit(tx: Transaction, toStore: FleetPlanToStore, planRow: FleetPlanRow, recommendationCount: number): Promise<void> {
  const exclude = { workloads: [...(toStore.input.exclude?.workloads ?? [])], nodes: [...(toStore.input.exclude?.nodes ?? [])] };
  const excluding = exclude.workloads.length + exclude.nodes.length > 0;
  await recordAudit(tx, {
    atMs: toStore.at.nowMs,
    actor: toStore.requestedBy!.actor,
    action: excluding ? "recommendation.exclusions" : "recommendation.run",
    target: `fleet-plan:${planRow.id}`,
    before: null,
    after: { planId: planRow.id, lookbackDays: toStore.requestedBy!.lookbackDays, exclude, status: planRow.status, recommendationCount },
  });
}

/** The latest plan, or null before the first run. */
export async function getLatestFleetPlan(prisma: AppPrismaClient): Promise<StoredFleetPlan | null> {
  const row = await prisma.fleetPlan.findFirst({ orderBy: [{ createdAtMs: "desc" }, { id: "desc" }] });
  return row ? toStoredFleetPlan(row) : null;
}
