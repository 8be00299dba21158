/** Every benchmark `npm run bench` runs, in order. */
import { alertsBenchmark } from "./alerts.bench";
import { allocationBenchmark } from "./allocation.bench";
import type { Benchmark } from "./bench-kit";
import { collectorBenchmark } from "./collector.bench";
import { fleetBenchmark } from "./fleet.bench";
import { fleetPlanBenchmark } from "./fleet-plan.bench";
import { forecastBenchmark } from "./forecast.bench";
import { ingestBenchmark } from "./ingest.bench";
import { pageLoadBenchmark } from "./page-load.bench";
import { solverBenchmarks } from "./solver.bench";
import { unitCostBenchmark } from "./unit-costs.bench";

export const benchmarks: Benchmark[] = [ingestBenchmark, allocationBenchmark, collectorBenchmark, fleetBenchmark, unitCostBenchmark, alertsBenchmark, ...solverBenchmarks, fleetPlanBenchmark, forecastBenchmark, pageLoadBenchmark];
