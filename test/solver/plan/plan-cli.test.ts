import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { FleetPlan } from "../../../solver/plan/types.ts";
import { node, price, workload } from "./plan-fixtures.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const folder = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-plan-cli-"));
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

function runSolver(...args: string[]) {
  const result = spawnSync("npx", ["tsx", "solver/cli.ts", ...args], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeJson(name: string, value: unknown): string {
  const file = path.join(folder, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

const usage = {
  nodes: [node("a100-1", "A100", 8, { source: "on-prem-tco" }), node("a100-2", "A100", 8, { source: "on-prem-tco" })],
  workloads: [
    workload("job-a", "A100", 8, [{ node: "a100-1", gpuIndexes: [0, 1, 2, 3, 4, 5, 6, 7] }], { busyGpusP95: 2.4 }),
    workload("job-b", "A100", 8, [{ node: "a100-2", gpuIndexes: [0, 1, 2, 3, 4, 5, 6, 7] }], { busyGpusP95: 2.4 }),
  ],
};
const usageFile = writeJson("usage.json", usage);
// The document GET /api/v1/prices returns: an owned TCO price and an older, ended one.
const priceBook = writeJson("price-book.json", {
  prices: [
    { id: 1, gpuModel: "A100", costPerGpuHour: 9, currency: "USD", source: "on-prem-tco", effectiveFromMs: 0, effectiveToMs: 1_000, nodeLabelKey: null, nodeLabelValue: null, tco: null, note: null },
    { id: 2, gpuModel: "A100", costPerGpuHour: 1.5, currency: "USD", source: "on-prem-tco", effectiveFromMs: 1_000, effectiveToMs: null, nodeLabelKey: null, nodeLabelValue: null, tco: null, note: null },
  ],
});

describe("solver plan", () => {
  it("prints the plan as JSON from a usage file and the price book document", () => {
    const { status, stdout, stderr } = runSolver("plan", "--usage", usageFile, "--prices", priceBook, "--json", "--time-limit-s", "20");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const plan = JSON.parse(stdout) as FleetPlan;
    expect(plan.costPerWeek).toEqual({ today: 16 * 1.5 * 168, plan: 8 * 1.5 * 168 });
    // Owned GPUs freed are capacity, not cash.
    expect(plan.saving.cashPerMonth).toBe(0);
    expect(plan.saving.capacityFreedGpuHoursPerMonth).toBe(8 * 730);
    expect(plan.saving.rentEquivalentPerMonth).toBeNull();
    expect(plan.actions.map((a) => a.kind).sort()).toEqual(["move", "pack"]);
  });

  it("prints a readable summary without --json, from an array of prices", () => {
    const prices = writeJson("prices.json", [price("A100", 1.5, "on-prem-tco"), price("A100", 4, "cloud-on-demand")]);
    const { status, stdout } = runSolver("plan", "--usage", usageFile, "--prices", prices);
    expect(status).toBe(0);
    expect(stdout).toContain("capacity freed per month (owned or committed GPUs): 5840 GPU-hours, 23360.00 USD to rent at on-demand rates");
    expect(stdout).toContain("c1 A100: 8 of 16 GPUs kept, 8 freed (on-prem-tco)");
  });

  it("names the file and the field of a bad value and exits 1", () => {
    const bad = writeJson("bad-usage.json", { ...usage, workloads: [{ ...usage.workloads[0], heldGpusByHourOfWeek: [1, 2, 3] }] });
    const { status, stdout, stderr } = runSolver("plan", "--usage", bad, "--prices", priceBook, "--json");
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${bad}: workloads[0].heldGpusByHourOfWeek: needs 168 hourly values`);
  });

  it("names the prices file when a price is malformed", () => {
    const bad = writeJson("bad-prices.json", [{ gpuModel: "A100", costPerGpuHour: -1, currency: "USD", source: "on-prem-tco" }]);
    const { status, stderr } = runSolver("plan", "--usage", usageFile, "--prices", bad);
    expect(status).toBe(1);
    expect(stderr).toContain(`${bad}: [0].costPerGpuHour:`);
  });
});
