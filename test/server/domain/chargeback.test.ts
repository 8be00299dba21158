/**
 * A month of three teams, idle shared by cost (literal allocation rows):
 *
 *   team    held GPU-h  busy GPU-h  allocated  idle share  total
 *   search      100         80        250.00      50.00    300.00
 *   ads          40         10        100.00      20.00    120.00
 *   (none)        8          8         20.00       4.00     24.00
 *   idle no job could take                                  16.00
 *   fleet                                                  460.00
 */
import { describe, expect, it } from "vitest";
import type { AllocationRow } from "../../../server/domain/allocation";
import { buildChargeback, type ChargebackInput } from "../../../server/domain/chargeback";
import { chargebackCsv, chargebackHtml, chargebackText } from "../../../server/wire/chargeback-documents";
import { parseCsv } from "../../support/parse-csv";

const START_MS = Date.UTC(2026, 10, 1);
const END_MS = Date.UTC(2026, 11, 1);

function row(properties: Record<string, string>, figures: { gpuHours: number; activeGpuHours: number; gpuCost: number; idleCost: number }): AllocationRow {
  return {
    name: Object.values(properties).join("/"),
    properties,
    startMs: START_MS,
    endMs: END_MS,
    ...figures,
    totalCost: figures.gpuCost + figures.idleCost,
    efficiency: figures.activeGpuHours / figures.gpuHours,
    wasteCost: 0,
    splitGpuHours: { sole: figures.gpuHours, utilization: 0, memory: 0, even: 0 },
  };
}

const idleRow: AllocationRow = { ...row({}, { gpuHours: 0, activeGpuHours: 0, gpuCost: 0, idleCost: 16 }), name: "__idle__", efficiency: null };

function input(overrides: Partial<ChargebackInput> = {}): ChargebackInput {
  return {
    month: "2026-11",
    startMs: START_MS,
    endMs: END_MS,
    currency: "USD",
    fleetCost: 460,
    unpricedGpuModels: [],
    teamRows: [
      row({ team: "search" }, { gpuHours: 100, activeGpuHours: 80, gpuCost: 250, idleCost: 50 }),
      row({ team: "ads" }, { gpuHours: 40, activeGpuHours: 10, gpuCost: 100, idleCost: 20 }),
      row({ team: "__unallocated__" }, { gpuHours: 8, activeGpuHours: 8, gpuCost: 20, idleCost: 4 }),
      idleRow,
    ],
    experimentRows: [
      row({ team: "search", experiment: "exp-a" }, { gpuHours: 50, activeGpuHours: 40, gpuCost: 125, idleCost: 25 }),
      row({ team: "search", experiment: "exp-b" }, { gpuHours: 30, activeGpuHours: 25, gpuCost: 75, idleCost: 15 }),
      row({ team: "search", experiment: "exp-c" }, { gpuHours: 10, activeGpuHours: 8, gpuCost: 25, idleCost: 5 }),
      row({ team: "search", experiment: "exp-d" }, { gpuHours: 6, activeGpuHours: 5, gpuCost: 15, idleCost: 3 }),
      row({ team: "search", experiment: "__unallocated__" }, { gpuHours: 4, activeGpuHours: 2, gpuCost: 10, idleCost: 2 }),
      row({ team: "ads", experiment: "__unallocated__" }, { gpuHours: 40, activeGpuHours: 10, gpuCost: 100, idleCost: 20 }),
      idleRow,
    ],
    unitCosts: [{ team: "ads", unit: "requests", per: 1000, count: 2_000_000, costPerUnits: 0.06 }],
    teamBudgets: [
      { team: "search", amount: 500 },
      { team: "vision", amount: 1000 },
    ],
    ...overrides,
  };
}

describe("buildChargeback", () => {
  it("charges each team its use and its share of idle, and the rows add up to the fleet's cost", () => {
    const report = buildChargeback(input());
    expect(report.rows.map((r) => [r.team, r.allocatedCost, r.idleShareCost, r.totalCost])).toEqual([
      ["search", 250, 50, 300],
      ["ads", 100, 20, 120],
      ["__unallocated__", 20, 4, 24],
      ["vision", 0, 0, 0],
    ]);
    expect(report.totals.totalCost + report.unsharedIdleCost).toBeCloseTo(report.fleetCost, 9);
    expect(report.rows.reduce((sum, r) => sum + r.totalCost, 0)).toBeCloseTo(report.totals.totalCost, 9);
    expect(report.unsharedIdleCost).toBe(16);
  });

  it("reports efficiency, idle share, top experiments, unit costs and budget use per team", () => {
    const [search, ads] = buildChargeback(input()).rows;
    expect(search.efficiency).toBeCloseTo(0.8, 9);
    expect(search.idleShare).toBeCloseTo(50 / 300, 9);
    expect(search.topExperiments).toEqual([
      { experiment: "exp-a", totalCost: 150 },
      { experiment: "exp-b", totalCost: 90 },
      { experiment: "exp-c", totalCost: 30 },
    ]);
    expect(search.budgetAmount).toBe(500);
    expect(search.budgetUsedPct).toBeCloseTo(50, 9);
    expect(ads.topExperiments).toEqual([]);
    expect(ads.unitCosts).toEqual([{ unit: "requests", per: 1000, count: 2_000_000, costPerUnits: 0.06 }]);
    expect(ads.budgetAmount).toBeNull();
  });
});

describe("chargebackCsv", () => {
  it("writes one line per team, then the totals, the idle no team took and the fleet", () => {
    const [header, ...lines] = parseCsv(chargebackCsv(buildChargeback(input())));
    expect(header.slice(0, 7)).toEqual(["team", "gpuHours", "activeGpuHours", "efficiency", "allocatedCost", "idleShareCost", "totalCost"]);
    expect(lines.map((line) => [line[0], line[6]])).toEqual([
      ["search", "300"],
      ["ads", "120"],
      ["__unallocated__", "24"],
      ["vision", "0"],
      ["__total__", "444"],
      ["__idle__", "16"],
      ["__fleet__", "460"],
    ]);
    expect(lines[0][8]).toBe("exp-a (150.00); exp-b (90.00); exp-c (30.00)");
  });

  it("defuses team and experiment names a spreadsheet would run as formulas", () => {
    const hostile = input({
      teamRows: [row({ team: '=HYPERLINK("http://x","y")' }, { gpuHours: 1, activeGpuHours: 1, gpuCost: 1, idleCost: 0 })],
      experimentRows: [row({ team: '=HYPERLINK("http://x","y")', experiment: "@SUM(A1)" }, { gpuHours: 1, activeGpuHours: 1, gpuCost: 1, idleCost: 0 })],
      teamBudgets: [{ team: "+cmd|' /C calc'!A0", amount: 5 }],
    });
    const lines = parseCsv(chargebackCsv(buildChargeback(hostile))).slice(1);
    expect(lines[0][0]).toBe(`'=HYPERLINK("http://x","y")`);
    expect(lines[1][0]).toBe("'+cmd|' /C calc'!A0");
    for (const line of lines) for (const field of line) expect(field).not.toMatch(/^[=+\-@]/);
  });
});

describe("chargebackHtml", () => {
  it("escapes every name, so a hostile team or experiment is shown as text", () => {
    const name = `<img src=x onerror="alert(1)">`;
    const html = chargebackHtml(
      buildChargeback(
        input({
          teamRows: [row({ team: name }, { gpuHours: 1, activeGpuHours: 1, gpuCost: 1, idleCost: 0 })],
          experimentRows: [row({ team: name, experiment: `</td><script>x()</script>` }, { gpuHours: 1, activeGpuHours: 1, gpuCost: 1, idleCost: 0 })],
          teamBudgets: [],
          month: "2026-11",
        }),
      ),
    );
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script");
    expect(html).toContain("&#60;img src=x onerror=&#34;alert(1)&#34;&#62;");
    expect(html).toContain("&#60;/td&#62;&#60;script&#62;x()&#60;/script&#62;");
  });

  it("shows the month's figures: fleet cost, each team's total and budget use", () => {
    const html = chargebackHtml(buildChargeback(input()));
    expect(html).toContain("GPU chargeback for 2026-11");
    expect(html).toContain("Fleet cost 460.00 USD");
    expect(html).toContain("300.00 USD");
    expect(html).toContain("500.00 USD (50.0 % used)");
    expect(chargebackText(buildChargeback(input()))).toContain("search: 300.00 USD (allocated 250.00 USD + idle share 50.00 USD)");
  });
});
