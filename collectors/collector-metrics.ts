/**
 * The collector's own Prometheus metrics, served on --metrics-port at /metrics:
 * the last poll's per-GPU readings (so the node can be graphed without the
 * server) and the collector's health (polls, spool, sends).
 *
 * A registry of its own, never prom-client's global one, so several agents in one
 * process (tests) do not collide.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { GpuReading } from "./readings";

export const DEFAULT_METRICS_PORT = 9401;

export interface SpoolGauges {
  depth: number;
  bytes: number;
}

export class CollectorMetrics {
  readonly registry = new Registry();
  private readonly gpuLabelNames = ["node", "gpu", "uuid", "model", "job"] as const;
  readonly gpuUtilization = new Gauge({
    name: "gpu_roi_gpu_utilization_percent",
    help: "GPU utilization (percent of time a kernel ran) at the last poll",
    labelNames: this.gpuLabelNames,
    registers: [this.registry],
  });
  readonly gpuSmActive = new Gauge({
    name: "gpu_roi_gpu_sm_active_percent",
    help: "SM activity (percent of SM cycles with a resident warp) at the last poll, where the source reports it",
    labelNames: this.gpuLabelNames,
    registers: [this.registry],
  });
  readonly gpuMemoryUsed = new Gauge({
    name: "gpu_roi_gpu_memory_used_mebibytes",
    help: "GPU memory used at the last poll, MiB",
    labelNames: this.gpuLabelNames,
    registers: [this.registry],
  });
  readonly gpuPower = new Gauge({
    name: "gpu_roi_gpu_power_watts",
    help: "GPU power draw at the last poll, W",
    labelNames: this.gpuLabelNames,
    registers: [this.registry],
  });
  readonly pollSuccess = new Gauge({
    name: "gpu_roi_collector_poll_success",
    help: "1 when the last poll of the GPU source succeeded, 0 when it failed or timed out",
    registers: [this.registry],
  });
  readonly pollDuration = new Histogram({
    name: "gpu_roi_collector_poll_duration_seconds",
    help: "Time one poll of the GPU source took, including attribution",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly pollsFailed = new Counter({
    name: "gpu_roi_collector_polls_failed_total",
    help: "Polls that failed or timed out",
    registers: [this.registry],
  });
  readonly batchesSent = new Counter({
    name: "gpu_roi_collector_batches_sent_total",
    help: "Batches the server acknowledged",
    registers: [this.registry],
  });
  readonly batchesFailed = new Counter({
    name: "gpu_roi_collector_batches_failed_total",
    help: "Send attempts that failed and will be retried (server down, network, 5xx)",
    registers: [this.registry],
  });
  readonly batchesDropped = new Counter({
    name: "gpu_roi_collector_batches_dropped_total",
    help: "Batches dropped, oldest first, because the spool was full: their windows are lost",
    registers: [this.registry],
  });
  readonly batchesRejected = new Counter({
    name: "gpu_roi_collector_batches_rejected_total",
    help: "Batches the server refused (4xx), moved to the spool's rejected/ folder",
    registers: [this.registry],
  });

  constructor(spoolGauges?: () => SpoolGauges) {
    new Gauge({
      name: "gpu_roi_collector_spool_batches",
      help: "Batches in the spool waiting to be sent",
      registers: [this.registry],
      collect() {
        this.set(spoolGauges?.().depth ?? 0);
      },
    });
    new Gauge({
      name: "gpu_roi_collector_spool_bytes",
      help: "Bytes of the batches in the spool",
      registers: [this.registry],
      collect() {
        this.set(spoolGauges?.().bytes ?? 0);
      },
    });
  }

  /** Replaces the per-GPU gauges with the readings of the last poll. */
  setReadings(hostname: string, gpus: readonly GpuReading[]): void {
    for (const gauge of [this.gpuUtilization, this.gpuSmActive, this.gpuMemoryUsed, this.gpuPower]) gauge.reset();
    for (const gpu of gpus) {
      const jobs = [...new Set(gpu.processes.map((process) => process.job.externalId))].sort();
      const labels = { node: hostname, gpu: String(gpu.index), uuid: gpu.uuid, model: gpu.modelName, job: jobs.join(",") };
      if (gpu.utilizationGpuPct !== null) this.gpuUtilization.set(labels, gpu.utilizationGpuPct);
      if (gpu.smActivePct !== null) this.gpuSmActive.set(labels, gpu.smActivePct);
      if (gpu.memoryUsedMiB !== null) this.gpuMemoryUsed.set(labels, gpu.memoryUsedMiB);
      if (gpu.powerDrawW !== null) this.gpuPower.set(labels, gpu.powerDrawW);
    }
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves the registry at GET /metrics. Port 0 picks a free port (see `port`). */
export async function serveMetrics(metrics: CollectorMetrics, port: number, host = "0.0.0.0"): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    if (request.method !== "GET" || (request.url ?? "").split("?")[0] !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found; metrics are at /metrics\n");
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      (error: Error) => response.writeHead(500, { "content-type": "text/plain" }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
