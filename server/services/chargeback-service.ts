import { ALL_DATA } from "../auth/principal";
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import { monthWindowOf } from "../domain/budget-periods";
import { buildChargeback, type ChargebackReport } from "../domain/chargeback";
import { chargebackCsv, chargebackHtml, chargebackText } from "../wire/chargeback-documents";
import { allocate } from "./allocation-service";
import type { EmailMessage, SendEmail } from "./channels/email-message";
import { ServiceError } from "./service-error";
import { unitCosts } from "./unit-cost-service";

const allocationByKeys = (db: SqlDatabase, window: { startMs: number; endMs: number }, aggregate: ("team" | "experiment")[]) =>
  allocate(db, { window, aggregate, basis: "allocation", shareIdle: "weighted", idleBy: "cluster", filter: new Map(), stepMs: null }, ALL_DATA);

/**
 * The chargeback report of a month (YYYY-MM; the current month up to now). Steps:
 *  1. the allocation engine by team and by team and experiment, idle shared by cost;
 *  2. cost per unit of work by team (the unit-cost service, idle shared the same way);
 *  3. the teams' monthly budgets;
 *  4. buildChargeback (server/domain/chargeback.ts).
 */
export async function loadChargeback(db: SqlDatabase, prisma: AppPrismaClient, month: string, nowMs: number): Promise<ChargebackReport> {
  const period = monthWindowOf(month);
  if (!period) throw new ServiceError(400, `month: expected YYYY-MM, got "${month}"`, "month");
  if (period.startMs >= nowMs) throw new ServiceError(400, `month: ${month} has not started`, "month");
  const window = { startMs: period.startMs, endMs: Math.min(period.endMs, nowMs) };
  // 1.
  const byTeam = await allocationByKeys(db, window, ["team"]);
  const byExperiment = await allocationByKeys(db, window, ["team", "experiment"]);
  // 2.
  const units = await unitCosts(db, { window, aggregate: ["team"], units: null, shareIdle: "weighted", idleBy: "cluster", stepMs: null }, ALL_DATA);
  // 3.
  const budgets = await prisma.budget.findMany({ where: { scopeKind: "team", period: "month" } });
  // 4.
  return buildChargeback({
    month,
    startMs: byTeam.window.startMs,
    endMs: byTeam.window.endMs,
    currency: byTeam.currency,
    fleetCost: byTeam.fleetCost,
    unpricedGpuModels: byTeam.unpricedGpuModels,
    teamRows: byTeam.rows,
    experimentRows: byExperiment.rows,
    unitCosts: units.rows.map((row) => ({ team: row.properties.team ?? row.name, unit: row.unit, per: row.per, count: row.count, costPerUnits: row.costPerUnits })),
    teamBudgets: budgets.map((budget) => ({ team: budget.scopeValue, amount: budget.amount })),
  });
}

/** The report as an e-mail: text and HTML bodies, and the CSV attached. */
export function chargebackEmail(report: ChargebackReport, recipients: readonly string[]): EmailMessage {
  return {
    to: recipients,
    subject: `GPU chargeback for ${report.month}`,
    text: chargebackText(report),
    html: chargebackHtml(report),
    attachments: [{ filename: `gpu-chargeback-${report.month}.csv`, contentType: "text/csv; charset=utf-8", content: chargebackCsv(report) }],
  };
}

/** Sends a month's report now (on demand); rejects as the sender does. */
export async function sendChargeback(db: SqlDatabase, prisma: AppPrismaClient, input: { month: string; recipients: readonly string[]; nowMs: number }, sendEmail: SendEmail): Promise<ChargebackReport> {
  if (input.recipients.length === 0) throw new ServiceError(400, "to: at least one recipient is required", "to");
  const report = await loadChargeback(db, prisma, input.month, input.nowMs);
  await sendEmail(chargebackEmail(report, input.recipients));
  return report;
}
