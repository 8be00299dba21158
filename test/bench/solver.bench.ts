/**
 * Optimizer benchmarks on Alibaba's openb trace (../shared/traces/clusterdata,
 * research use; not bundled): fractional pods on identical GPUs, all GPU pods
 * on the real nodes, and tidal planning of 500 synthetic batch jobs.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { markdownTable, type Benchmark, type BenchSection } from "./bench-kit.ts";
import { optimizePacking } from "../../solver/packing/optimize.ts";
import { openbNodes, openbPods } from "../../solver/packing/openb.ts";
import { planTidal, SLOTS_PER_WEEK, type BatchJob } from "../../solver/tidal/plan.ts";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");
const traceDir = path.resolve(repoRoot, "..", "shared", "traces", "clusterdata");
const nodesCsv = path.join(traceDir, "openb_node_list_gpu_node.csv");
const podsCsv = path.join(traceDir, "openb_pod_list_default.csv");

function traceOrSkip(name: string, log: (line: string) => void): BenchSection | undefined {
  if (existsSync(nodesCsv) && existsSync(podsCsv)) return undefined;
  log(`${name}: skipped, the openb trace is not at ${traceDir}`);
  return { title: name, command: "", data: `missing: ${traceDir}`, body: "Skipped: trace not present." };
}

const openbOptions = { headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY, allowLatencySensitiveSharing: true };

export const solverBenchmarks: Benchmark[] = [
  {
    name: "packing-fractional-openb",
    run: async (log) => {
      const skipped = traceOrSkip("Packing: openb fractional pods on identical GPUs", log);
      if (skipped) return skipped;
      const nodes = openbNodes(readFileSync(nodesCsv, "utf8")).map((n) => ({ id: n.id, model: "any", gpuCount: n.gpuCount }));
      const pods = openbPods(readFileSync(podsCsv, "utf8")).workloads.filter((p) => p.gpuCount === 1 && p.gpuMilli < 1000).map((p) => ({ ...p, cpuMilli: undefined, hostMemoryMiB: undefined, allowedModels: undefined }));
      const result = await optimizePacking(pods, nodes, { ...openbOptions, timeLimitMs: 30_000 });
      log(`fractional: ${result.best.gpusUsed} GPUs, bound ${result.lowerBound.gpus}, ${result.seconds.toFixed(2)} s`);
      return {
        title: "Packing: openb fractional pods on identical GPUs",
        command: "npx tsx solver/cli.ts pack --nodes ../shared/traces/clusterdata/openb_node_list_gpu_node.csv --pods ../shared/traces/clusterdata/openb_pod_list_default.csv --fractional-only --identical-gpus",
        data: `${pods.length} pods (num_gpu = 1, gpu_milli < 1000) of openb_pod_list_default.csv; ${nodes.length} nodes`,
        body: markdownTable(
          ["status", "GPUs used", "FFD", "best fit", "lower bound", "volume bound", "gap %", "seconds"],
          [[result.status, result.best.gpusUsed, result.baselines.ffd.gpusUsed, result.baselines.bestFit.gpusUsed, result.lowerBound.gpus, result.lowerBound.volumeGpus, result.gapPct.toFixed(2), result.seconds.toFixed(2)]],
        ),
      };
    },
  },
  {
    name: "packing-all-openb",
    run: async (log) => {
      const skipped = traceOrSkip("Packing: all openb GPU pods on the 1,213 GPU nodes", log);
      if (skipped) return skipped;
      const nodes = openbNodes(readFileSync(nodesCsv, "utf8"));
      const pods = openbPods(readFileSync(podsCsv, "utf8")).workloads;
      const result = await optimizePacking(pods, nodes, { ...openbOptions, timeLimitMs: 50_000 });
      const pct = (share: number) => (share * 100).toFixed(2);
      log(`all pods: ${pct(result.best.placedDemandShare)}% of demand placed, ${result.seconds.toFixed(2)} s`);
      return {
        title: "Packing: all openb GPU pods on the 1,213 GPU nodes",
        command: "npx tsx solver/cli.ts pack --nodes ../shared/traces/clusterdata/openb_node_list_gpu_node.csv --pods ../shared/traces/clusterdata/openb_pod_list_default.csv",
        data: `${pods.length} GPU pods of openb_pod_list_default.csv on ${nodes.length} nodes (CPU, host memory, GPU count and model respected)`,
        body: markdownTable(
          ["method", "demand placed %", "pods placed", "GPUs used"],
          [
            ["optimizer", pct(result.best.placedDemandShare), result.best.assignments.length, result.best.gpusUsed],
            ["FFD", pct(result.baselines.ffd.placedDemandShare), result.baselines.ffd.assignments.length, result.baselines.ffd.gpusUsed],
            ["best fit", pct(result.baselines.bestFit.placedDemandShare), result.baselines.bestFit.assignments.length, result.baselines.bestFit.gpusUsed],
          ],
        ) + `\n\nGPUs needed to place every pod, lower bound: ${result.lowerBound.gpus} (the cluster has ${nodes.reduce((s, n) => s + n.gpuCount, 0)}); seconds: ${result.seconds.toFixed(2)}.`,
      };
    },
  },
  {
    name: "tidal-500-jobs",
    run: async (log) => {
      let seed = 11;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      const inference = Array.from({ length: SLOTS_PER_WEEK }, (_, t) => (t % 24 >= 8 && t % 24 < 22 ? 200 : 60));
      const jobs: BatchJob[] = Array.from({ length: 500 }, (_, i) => {
        const release = Math.floor(random() * 120);
        return { id: `j${i}`, queue: `q${i % 5}`, gpuHours: 4 + Math.floor(random() * 60), maxParallelGpus: 1 + Math.floor(random() * 8), releaseSlot: release, deadlineSlot: Math.min(168, release + 24 + Math.floor(random() * 48)) };
      });
      const plan = planTidal(inference, jobs);
      log(`tidal: peak ${plan.peakGpus} GPUs in ${plan.seconds.toFixed(2)} s`);
      // Time-of-use: 700 W x PUE 1.3 = 0.91 kWh per GPU-hour at 0.08/kWh (23:00-07:00),
      // 0.30/kWh (16:00-21:00) and 0.15/kWh otherwise; a fleet of 300 GPUs.
      const tariffPerKwh = (hour: number) => (hour >= 23 || hour < 7 ? 0.08 : hour >= 16 && hour < 21 ? 0.3 : 0.15);
      const prices = Array.from({ length: SLOTS_PER_WEEK }, (_, t) => 0.91 * tariffPerKwh(t % 24));
      const cheapest = planTidal(inference, jobs, { objective: "cost", capacityGpus: 300, pricePerGpuHourBySlot: prices });
      log(`tidal time-of-use: ${cheapest.timeOfUse!.plannedBatchCost.toFixed(0)} vs ${cheapest.timeOfUse!.asSoonAsPossibleBatchCost.toFixed(0)} in ${cheapest.seconds.toFixed(2)} s`);
      const unfinished = (p: typeof plan) => p.perJob.reduce((s, j) => s + j.unfinishedGpuHours, 0).toFixed(0);
      return {
        title: "Tidal scheduling: 168 hourly slots x 500 batch jobs",
        command: "npm run bench -- tidal-500-jobs",
        data: "synthetic: inference 200 GPUs 08:00-22:00 and 60 at night; 500 jobs of 4-63 GPU-hours, 1-8 GPUs, windows of 24-72 h; time-of-use run: 300 GPUs, 0.91 kWh per GPU-hour at 0.08/kWh 23:00-07:00, 0.30 16:00-21:00, 0.15 otherwise",
        body:
          markdownTable(
            ["objective", "peak GPUs", "reserve inference peak", "night window 22:00-08:00", "utilization before %", "after %", "unfinished GPU-hours", "seconds"],
            [
              ["fewest GPUs", plan.peakGpus, plan.baselines.reserveInferencePeak, plan.baselines.nightWindow, plan.utilization.beforePct.toFixed(1), plan.utilization.afterPct.toFixed(1), unfinished(plan), plan.seconds.toFixed(2)],
              ["cheapest hours on 300 GPUs", cheapest.peakGpus, cheapest.baselines.reserveInferencePeak, cheapest.baselines.nightWindow, cheapest.utilization.beforePct.toFixed(1), cheapest.utilization.afterPct.toFixed(1), unfinished(cheapest), cheapest.seconds.toFixed(2)],
            ],
          ) +
          `\n\nTime-of-use energy cost of the batch work: ${cheapest.timeOfUse!.plannedBatchCost.toFixed(2)} as planned against ${cheapest.timeOfUse!.asSoonAsPossibleBatchCost.toFixed(2)} when every job starts at release (${((cheapest.timeOfUse!.saving / cheapest.timeOfUse!.asSoonAsPossibleBatchCost) * 100).toFixed(1)} % less); the greedy's cost equals the LP optimum (checked against glpk on random instances in test/solver/tidal.test.ts).`,
      };
    },
  },
];
