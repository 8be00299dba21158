/**
 * Cost per experiment and per model, from allocation rows aggregated by model,
 * experiment and job. Pure.
 */
import { UNALLOCATED_VALUE, type AllocationRow } from "./allocation";

export interface ExperimentSummary {
  model: string;
  experiment: string;
  /** Jobs (runs) of the experiment with GPU time in the window. */
  runs: number;
  gpuHours: number;
  activeGpuHours: number;
  totalCost: number;
  /** activeGpuHours / gpuHours over all runs; null without GPU time. */
  efficiency: number | null;
  costPerRun: number;
  wasteCost: number;
}

/**
 * Groups rows aggregated by `model,experiment,job` into one summary per
 * experiment, most expensive first. Jobs without an experiment are left out.
 */
export function summarizeExperiments(rows: readonly AllocationRow[]): ExperimentSummary[] {
  const byExperiment = new Map<string, ExperimentSummary & { jobs: Set<string> }>();
  for (const row of rows) {
    const experiment = row.properties.experiment;
    if (!experiment || experiment === UNALLOCATED_VALUE) continue;
    const model = row.properties.model ?? UNALLOCATED_VALUE;
    const key = `${model}\u0000${experiment}`;
    let summary = byExperiment.get(key);
    if (!summary) {
      summary = { model, experiment, runs: 0, gpuHours: 0, activeGpuHours: 0, totalCost: 0, efficiency: null, costPerRun: 0, wasteCost: 0, jobs: new Set() };
      byExperiment.set(key, summary);
    }
    summary.jobs.add(row.properties.job);
    summary.gpuHours += row.gpuHours;
    summary.activeGpuHours += row.activeGpuHours;
    summary.totalCost += row.totalCost;
    summary.wasteCost += row.wasteCost;
  }
  return [...byExperiment.values()]
    .map(({ jobs, ...summary }) => ({
      ...summary,
      runs: jobs.size,
      efficiency: summary.gpuHours > 0 ? summary.activeGpuHours / summary.gpuHours : null,
      costPerRun: jobs.size > 0 ? summary.totalCost / jobs.size : 0,
    }))
    .sort((a, b) => b.totalCost - a.totalCost || a.experiment.localeCompare(b.experiment));
}
