import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface ServerMetrics {
  registry: Registry;
  ingestBatches: Counter<"result">;
  ingestWindows: Counter<"kind" | "result">;
  ingestWindowsRejected: Counter<"kind" | "reason">;
  httpRequestDuration: Histogram<"route" | "method" | "status">;
  databaseUnavailable: Counter<"route">;
}

export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "gpu_roi_" });
  return {
    registry,
    ingestBatches: new Counter({
      name: "gpu_roi_ingest_batches_total",
      help: "Ingest batches by result: accepted, duplicate (repeated batchId), rejected (4xx/5xx), rate_limited (429).",
      labelNames: ["result"],
      registers: [registry],
    }),
    ingestWindows: new Counter({
      name: "gpu_roi_ingest_windows_total",
      help: "Usage and work windows received, by kind (gpu, job, work) and result: stored, already_stored, rejected.",
      labelNames: ["kind", "result"],
      registers: [registry],
    }),
    ingestWindowsRejected: new Counter({
      name: "gpu_roi_ingest_windows_rejected_total",
      help: "Usage windows whose batch was refused for their time, by kind (gpu, job, work) and reason: clock_skew_future (ends after the server's now plus the tolerance), too_old (starts before the oldest accepted start).",
      labelNames: ["kind", "reason"],
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: "gpu_roi_http_request_duration_seconds",
      help: "HTTP request duration by route, method and status.",
      labelNames: ["route", "method", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    databaseUnavailable: new Counter({
      name: "gpu_roi_database_unavailable_total",
      help: "Requests answered 503 because the database could not be reached, by route.",
      labelNames: ["route"],
      registers: [registry],
    }),
  };
}

const holder = globalThis as typeof globalThis & { gpuRoiMetrics?: ServerMetrics };

/** The server process's metrics (one registry per process). */
export function getServerMetrics(): ServerMetrics {
  holder.gpuRoiMetrics ??= createServerMetrics();
  return holder.gpuRoiMetrics;
}
