import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CollectorMetrics, serveMetrics } from "../../collectors/collector-metrics";
import type { GpuReading } from "../../collectors/readings";

const reading: GpuReading = {
  uuid: "GPU-aaaa",
  index: 3,
  modelName: "NVIDIA A100-SXM4-80GB",
  memoryTotalMiB: 81920,
  migParentUuid: null,
  migProfile: null,
  utilizationGpuPct: 87,
  smActivePct: null,
  memoryUsedMiB: 40000,
  powerDrawW: 310.5,
  processes: [{ pid: 1, name: "python", memoryUsedMiB: 40000, utilizationPct: null, job: { externalId: "slurm-9", kind: "training" } }],
};

function filledMetrics() {
  const metrics = new CollectorMetrics(() => ({ depth: 2, bytes: 5000 }));
  metrics.setReadings("node-a", [reading]);
  metrics.pollSuccess.set(1);
  metrics.pollDuration.observe(0.05);
  metrics.batchesSent.inc(3);
  metrics.batchesDropped.inc();
  return metrics;
}

describe("serveMetrics", () => {
  it("serves per-GPU gauges and the collector's health on /metrics", async () => {
    const server = await serveMetrics(filledMetrics(), 0, "127.0.0.1");
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('gpu_roi_gpu_utilization_percent{node="node-a",gpu="3",uuid="GPU-aaaa",model="NVIDIA A100-SXM4-80GB",job="slurm-9"} 87');
      expect(text).toContain('gpu_roi_gpu_power_watts{node="node-a",gpu="3",uuid="GPU-aaaa",model="NVIDIA A100-SXM4-80GB",job="slurm-9"} 310.5');
      expect(text).not.toMatch(/^gpu_roi_gpu_sm_active_percent\{/m);
      expect(text).toMatch(/^gpu_roi_collector_poll_success 1$/m);
      expect(text).toMatch(/^gpu_roi_collector_poll_duration_seconds_count 1$/m);
      expect(text).toMatch(/^gpu_roi_collector_spool_batches 2$/m);
      expect(text).toMatch(/^gpu_roi_collector_spool_bytes 5000$/m);
      expect(text).toMatch(/^gpu_roi_collector_batches_sent_total 3$/m);
      expect(text).toMatch(/^gpu_roi_collector_batches_dropped_total 1$/m);
      expect(text).toMatch(/^gpu_roi_collector_batches_failed_total 0$/m);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  const prometheus = spawnSync("sh", ["-c", "command -v prometheus"], { encoding: "utf8" }).stdout.trim();
  if (prometheus === "") console.warn("skipping the Prometheus scrape test: no `prometheus` binary on PATH (Debian: apt install prometheus)");

  it.skipIf(prometheus === "")("is scraped by a real Prometheus server", async () => {
    const server = await serveMetrics(filledMetrics(), 0, "127.0.0.1");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-prom-"));
    fs.writeFileSync(
      path.join(dir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: collector\n    static_configs:\n      - targets: ["127.0.0.1:${server.port}"]\n`,
    );
    // Prometheus's own port: ask the OS for a free one.
    const probe = await serveMetrics(new CollectorMetrics(), 0, "127.0.0.1");
    const promPort = probe.port;
    await probe.close();
    const child = spawn(prometheus, [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: "ignore",
    });
    try {
      let value: string | null = null;
      const deadline = Date.now() + 30_000;
      while (value === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        try {
          const response = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=gpu_roi_gpu_utilization_percent`);
          const body = (await response.json()) as { data?: { result?: { value: [number, string] }[] } };
          value = body.data?.result?.[0]?.value[1] ?? null;
        } catch {
          /* not up yet */
        }
      }
      expect(value).toBe("87");
    } finally {
      child.kill("SIGTERM");
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
