/**
 * The chargeback report as CSV (a spreadsheet's rows) and as HTML (the e-mail's
 * body). Team, experiment and unit names come from workloads: the CSV defuses
 * formulas (server/wire/csv.ts) and the HTML escapes every text (server/wire/html.ts).
 */
import { UNALLOCATED_VALUE } from "../domain/allocation";
import type { ChargebackReport, ChargebackRow } from "../domain/chargeback";
import { csvDocument, type CsvValue } from "./csv";
import { escapeHtml } from "./html";

export const CHARGEBACK_CSV_HEADER = [
  "team",
  "gpuHours",
  "activeGpuHours",
  "efficiency",
  "allocatedCost",
  "idleShareCost",
  "totalCost",
  "idleShare",
  "topExperiments",
  "unitCosts",
  "budget",
  "budgetUsedPct",
  "currency",
] as const;

const round = (value: number | null, digits = 6) => (value === null ? null : Number(value.toFixed(digits)));
const teamName = (team: string) => (team === UNALLOCATED_VALUE ? "(no team)" : team);
const experimentsText = (row: ChargebackRow) => row.topExperiments.map((entry) => `${entry.experiment} (${entry.totalCost.toFixed(2)})`).join("; ");
const unitCostsText = (row: ChargebackRow) =>
  row.unitCosts.map((cost) => `${cost.unit}: ${cost.costPerUnits === null ? "n/a" : cost.costPerUnits.toFixed(4)} per ${cost.per.toLocaleString("en-US")}`).join("; ");

function csvLine(row: ChargebackRow, currency: string | null): CsvValue[] {
  return [
    row.team,
    round(row.gpuHours),
    round(row.activeGpuHours),
    round(row.efficiency),
    round(row.allocatedCost),
    round(row.idleShareCost),
    round(row.totalCost),
    round(row.idleShare),
    experimentsText(row),
    unitCostsText(row),
    row.budgetAmount,
    round(row.budgetUsedPct, 2),
    currency,
  ];
}

/** One line per team, then __total__, __idle__ (idle no team could take) and __fleet__ (their sum). */
export function chargebackCsv(report: ChargebackReport): string {
  const blank = (team: string, totalCost: number): CsvValue[] => [team, null, null, null, null, null, round(totalCost), null, "", "", null, null, report.currency];
  return csvDocument(CHARGEBACK_CSV_HEADER, [
    ...report.rows.map((row) => csvLine(row, report.currency)),
    csvLine(report.totals, report.currency),
    blank("__idle__", report.unsharedIdleCost),
    blank("__fleet__", report.fleetCost),
  ]);
}

function money(value: number, currency: string | null): string {
  return currency ? `${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}` : value.toFixed(2);
}
const pct = (value: number | null) => (value === null ? "n/a" : `${(value * 100).toFixed(1)} %`);
const hours = (value: number) => `${value.toLocaleString("en-US", { maximumFractionDigits: 1 })} GPU-h`;

/** The report as an HTML document (inline styles: mail clients drop style sheets); every text escaped. */
export function chargebackHtml(report: ChargebackReport): string {
  const c = report.currency;
  const cell = (text: string, numeric = false) => `<td style="padding:4px 8px;border-bottom:1px solid #ddd;${numeric ? "text-align:right;" : ""}">${escapeHtml(text)}</td>`;
  const line = (row: ChargebackRow, label = teamName(row.team)) =>
    `<tr>${[
      cell(label),
      cell(hours(row.gpuHours), true),
      cell(pct(row.efficiency), true),
      cell(money(row.allocatedCost, c), true),
      cell(money(row.idleShareCost, c), true),
      cell(money(row.totalCost, c), true),
      cell(pct(row.idleShare), true),
      cell(experimentsText(row)),
      cell(unitCostsText(row)),
      cell(row.budgetAmount === null ? "none" : `${money(row.budgetAmount, c)} (${row.budgetUsedPct === null ? "n/a" : row.budgetUsedPct.toFixed(1)} % used)`),
    ].join("")}</tr>`;
  const headers = ["Team", "GPU-hours", "Efficiency", "Allocated", "Idle share", "Total", "Idle %", "Top experiments", "Cost per unit of work", "Budget"];
  const title = `GPU chargeback for ${report.month}`;
  return [
    "<!doctype html>",
    `<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:sans-serif;font-size:14px;color:#222">',
    `<h1 style="font-size:18px">${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(`${new Date(report.startMs).toISOString().slice(0, 10)} to ${new Date(report.endMs - 1).toISOString().slice(0, 10)} (UTC). Fleet cost ${money(report.fleetCost, c)}: teams ${money(report.totals.totalCost, c)} (their use plus their share of idle GPUs, by cost), idle no team could take ${money(report.unsharedIdleCost, c)}.`)}</p>`,
    report.unpricedGpuModels.length > 0 ? `<p>${escapeHtml(`Not priced, left out: ${report.unpricedGpuModels.join(", ")}.`)}</p>` : "",
    '<table style="border-collapse:collapse">',
    `<thead><tr>${headers.map((header) => `<th style="padding:4px 8px;text-align:left;border-bottom:2px solid #444">${escapeHtml(header)}</th>`).join("")}</tr></thead>`,
    `<tbody>${report.rows.map((row) => line(row)).join("")}${line(report.totals, "All teams")}</tbody>`,
    "</table>",
    "</body></html>",
  ].join("\n");
}

/** The plain-text part of the e-mail: one line per team. */
export function chargebackText(report: ChargebackReport): string {
  const c = report.currency;
  return [
    `GPU chargeback for ${report.month}: fleet cost ${money(report.fleetCost, c)}, idle no team could take ${money(report.unsharedIdleCost, c)}.`,
    "",
    ...report.rows.map(
      (row) =>
        `${teamName(row.team)}: ${money(row.totalCost, c)} (allocated ${money(row.allocatedCost, c)} + idle share ${money(row.idleShareCost, c)}), ${hours(row.gpuHours)}, efficiency ${pct(row.efficiency)}${row.budgetAmount === null ? "" : `, budget ${money(row.budgetAmount, c)}`}`,
    ),
    "",
    "The full table is attached as CSV.",
  ].join("\n");
}
