import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const folder = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-solver-cli-"));
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

/** Runs the solver CLI the way users do (through tsx), in the repository root. */
function runSolver(...args: string[]) {
  const result = spawnSync("npx", ["tsx", "solver/cli.ts", ...args], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeCsv(name: string, header: string, rows: string[]): string {
  const file = path.join(folder, name);
  fs.writeFileSync(file, `${header}\n${rows.join("\n")}\n`);
  return file;
}

const slots = Array.from({ length: 168 }, (_, t) => t);
const demand = writeCsv("demand.csv", "slot,gpus", slots.map((t) => `${t},2`));
// Cheap energy in slots 5 and 6 only.
const prices = writeCsv("prices.csv", "slot,price", slots.map((t) => `${t},${t === 5 ? 1 : t === 6 ? 2 : 10}`));
const jobs = writeCsv("jobs.csv", "id,queue,gpu_hours,max_parallel_gpus,release_slot,deadline_slot", ["train,research,8,4,0,168"]);

describe("solver tidal", () => {
  it("puts batch work in the cheapest hours under the fleet's capacity and prints the costs", () => {
    const { status, stdout, stderr } = runSolver("tidal", "--demand", demand, "--jobs", jobs, "--prices", prices, "--objective", "cost", "--capacity", "6", "--json");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const plan = JSON.parse(stdout) as { peakGpus: number; timeOfUse: { plannedBatchCost: number; asSoonAsPossibleBatchCost: number }; hourly: { slot: number; batchGpus: number }[] };
    expect(plan.peakGpus).toBe(6);
    expect(plan.timeOfUse.plannedBatchCost).toBe(12);
    expect(plan.timeOfUse.asSoonAsPossibleBatchCost).toBe(80);
    expect(plan.hourly.filter((h) => h.batchGpus > 0).map((h) => h.slot)).toEqual([5, 6]);
  });

  it("names the file, row and column of a bad value", () => {
    const bad = writeCsv("bad-prices.csv", "slot,price", slots.map((t) => `${t},${t === 3 ? "cheap" : 1}`));
    const { status, stderr } = runSolver("tidal", "--demand", demand, "--prices", bad);
    expect(status).toBe(1);
    expect(stderr).toContain(`${bad}: row 5: price must be a number, got cheap`);
  });

  it("says which slot a demand curve lacks", () => {
    const short = writeCsv("short.csv", "slot,gpus", slots.slice(0, 100).map((t) => `${t},2`));
    const { status, stderr } = runSolver("tidal", "--demand", short);
    expect(status).toBe(1);
    expect(stderr).toContain("slot 100 is missing");
  });
});
