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

  it("refuses a fractional release or deadline slot naming the file, line and column", () => {
    const halfHour = writeCsv("half-hour-jobs.csv", "id,queue,gpu_hours,max_parallel_gpus,release_slot,deadline_slot", ["ok,q,10,2,0,24", "late,q,100,4,2.5,30.5"]);
    const { status, stdout, stderr } = runSolver("tidal", "--demand", demand, "--jobs", halfHour, "--json");
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${halfHour}: line 3: release_slot must be a whole hourly slot (0 = Monday 00:00), got 2.5`);
  });

  it("says which slot a demand curve lacks", () => {
    const short = writeCsv("short.csv", "slot,gpus", slots.slice(0, 100).map((t) => `${t},2`));
    const { status, stderr } = runSolver("tidal", "--demand", short);
    expect(status).toBe(1);
    expect(stderr).toContain("slot 100 is missing");
  });
});

describe("solver pack", () => {
  it("prints the placement with the upper bound on placeable demand and the leftover capacity, keeping the existing fields", () => {
    const nodesCsv = writeCsv("nodes.csv", "sn,cpu_milli,memory_mib,gpu,model", ["n0,16000,65536,2,T4"]);
    // Three 600-milli pods on 2 GPUs: no two share a GPU, so at most 1.2 of 1.8 GPUs of demand fit.
    const podsCsv = writeCsv("pods.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos", ["p0,1000,1024,1,600,,BE", "p1,1000,1024,1,600,,BE", "p2,1000,1024,1,600,,BE"]);
    const { status, stdout } = runSolver("pack", "--nodes", nodesCsv, "--pods", podsCsv, "--json");
    expect(status).toBe(0);
    const out = JSON.parse(stdout);
    for (const field of ["status", "seconds", "gpusUsed", "baselines", "lowerBound", "gapPct", "placed", "unplaced", "assignments"]) expect(out).toHaveProperty(field);
    expect(out.placed).toBe(2);
    expect(out.placeableDemandUpperBound).toEqual({ gpus: 1.2, pct: 66.667, method: "lp", converged: true, iterations: expect.any(Number) });
    expect(out.gapPct).toBeNull();
    expect(out.placedDemandGapPct).toBe(0);
    expect(out.leftover).toEqual({ idleGpus: 0, partlyUsedGpus: 2, freeGpus: 0.8, fragmentedGpus: 0.8 });
  });
});

describe("solver pack with CPU-only pods", () => {
  it("places pods with num_gpu = 0 on node CPU and memory and reports them apart from the GPU figures", () => {
    const nodesCsv = writeCsv("cpu-nodes.csv", "sn,cpu_milli,memory_mib,gpu,model", ["n0,16000,65536,2,T4", "c0,8000,32768,0,"]);
    const podsCsv = writeCsv("cpu-pods.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos", ["p0,6000,1024,1,1000,,BE", "p1,6000,1024,1,1000,,BE", "c0,8000,1024,0,0,,BE", "c1,8000,1024,0,0,,BE"]);
    const { status, stdout, stderr } = runSolver("pack", "--nodes", nodesCsv, "--pods", podsCsv, "--json");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.placed).toBe(2);
    expect(out.placedDemandPct).toBe(100);
    expect(out.cpuOnlyPods).toEqual({ pods: 2, placed: 1, unplaced: 1, onGpuNodes: 0, order: "after-gpu-pods" });
    expect(out.cpuOnlyAssignments).toHaveLength(1);
    expect(out.cpuOnlyAssignments[0].node).toBe("c0");
  });
});

describe("solver pack input checks", () => {
  const nodesCsv = writeCsv("two-nodes.csv", "sn,cpu_milli,memory_mib,gpu,model", ["n0,16000,65536,2,T4"]);

  it("refuses a pod with a negative CPU request naming the file, line and column (exit 1)", () => {
    const podsCsv = writeCsv("negative-cpu.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos", ["p0,16000,1024,1,1000,,BE", "p1,16000,1024,1,1000,,BE", "p2,-100000,1024,1,100,,BE"]);
    const { status, stdout, stderr } = runSolver("pack", "--nodes", nodesCsv, "--pods", podsCsv, "--json");
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${podsCsv}: line 4: cpu_milli must not be negative, got -100000`);
  });

  it("refuses a node list without the model column", () => {
    const noModel = writeCsv("no-model.csv", "sn,cpu_milli,memory_mib,gpu", ["n0,16000,65536,2"]);
    const podsCsv = writeCsv("one-pod.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos", ["p0,1000,1024,1,500,T4,BE"]);
    const { status, stderr } = runSolver("pack", "--nodes", noModel, "--pods", podsCsv);
    expect(status).toBe(1);
    expect(stderr).toContain(`${noModel}: line 1: model column is missing`);
  });

  it("with --skip-bad-rows leaves a bad pod out of every total and says so", () => {
    const podsCsv = writeCsv("fractional-gpus.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos", ["p0,1000,1024,1,500,,BE", "p1,1000,1024,1.5,1000,,BE"]);
    const { status, stdout, stderr } = runSolver("pack", "--nodes", nodesCsv, "--pods", podsCsv, "--skip-bad-rows", "--json");
    expect(status).toBe(0);
    expect(stderr).toContain(`skipped ${podsCsv}: line 3: num_gpu must be a whole number, got 1.5`);
    const out = JSON.parse(stdout);
    expect(out.placed).toBe(1);
    expect(out.unplaced).toBe(0);
    expect(out.placedDemandPct).toBe(100);
    expect(out.skippedRows).toEqual([{ file: podsCsv, line: 3, field: "num_gpu", problem: "must be a whole number, got 1.5" }]);
  });
});
