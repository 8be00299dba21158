import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FleetSimulator, inferenceLoadFactor } from "../../../collectors/simulator/fleet-simulator";
import { backfillFleet } from "../../../collectors/simulator/run-simulated-fleet";
import { erf, H100_OVER_A100, integratedLoadHours, serviceCounters, trainingCounters } from "../../../collectors/simulator/simulated-work";
import { ingestBatchSchema, type IngestBatch } from "../../../server/wire/ingest-v1";

const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0); // Monday 00:00 UTC
const HOUR_MS = 3_600_000;

describe("erf", () => {
  it("matches known values to 1e-6", () => {
    expect(erf(0)).toBeCloseTo(0, 6);
    expect(erf(0.5)).toBeCloseTo(0.5204999, 6);
    expect(erf(-1)).toBeCloseTo(-0.8427008, 6);
    expect(erf(2)).toBeCloseTo(0.9953223, 6);
  });
});

describe("integratedLoadHours", () => {
  it("equals the load curve summed minute by minute, across days and a weekend", () => {
    const fromMs = T0_MS + 4 * 24 * HOUR_MS + 7.5 * HOUR_MS; // Friday 07:30
    const toMs = fromMs + 50 * HOUR_MS; // Sunday 09:30
    let summedHours = 0;
    for (let atMs = fromMs; atMs < toMs; atMs += 60_000) summedHours += inferenceLoadFactor(atMs + 30_000) / 60;
    expect(integratedLoadHours(fromMs, toMs)).toBeCloseTo(summedHours, 3);
  });
});

describe("serviceCounters", () => {
  it("serves twice as much on an H100 as on an A100 (the measured ratio, not the peak TFLOPS one)", () => {
    const onA100 = serviceCounters("chat-serving", "a100", 0.8, T0_MS, T0_MS + 10 * HOUR_MS);
    const onH100 = serviceCounters("chat-serving", "h100", 0.8, T0_MS, T0_MS + 10 * HOUR_MS);
    expect(onA100.map((counter) => counter.unit)).toEqual(["prompt_tokens", "generation_tokens", "requests"]);
    onA100.forEach((counter, index) => {
      expect(counter.source).toBe("vllm");
      expect(onH100[index].value / counter.value).toBeCloseTo(H100_OVER_A100, 3);
    });
  });

  it("grows with the daily load: more tokens in the afternoon hour than in the night hour", () => {
    const hourOf = (startHour: number) =>
      serviceCounters("chat-serving", "a100", 1, T0_MS, T0_MS + (startHour + 1) * HOUR_MS)[1].value - serviceCounters("chat-serving", "a100", 1, T0_MS, T0_MS + startHour * HOUR_MS)[1].value;
    // 900 tokens/s at the 14:00 peak (load 1.0), 180 tokens/s in the night (load 0.2).
    expect(hourOf(14) / 3600).toBeGreaterThan(850);
    expect(hourOf(2) / 3600).toBeLessThan(200);
  });
});

describe("trainingCounters", () => {
  it("counts samples over all of a job's GPUs at its efficiency", () => {
    const job = { externalId: "slurm-1", kind: "training" as const, model: "vit-l-catalog" };
    expect(trainingCounters(job, "a100", 4, 0.5, T0_MS, T0_MS + 100_000)).toEqual([{ unit: "samples", source: "report", value: 180 * 4 * 0.5 * 100 }]);
    expect(trainingCounters({ ...job, model: "unknown-model" }, "a100", 4, 1, T0_MS, T0_MS + 100_000)).toEqual([]);
  });
});

describe("FleetSimulator.workCounters", () => {
  it("gives every service and training job counters that only grow, except when a service restarts at an epoch boundary", () => {
    const simulator = new FleetSimulator();
    const previous = new Map<string, { atMs: number; value: number }>();
    const units = new Set<string>();
    let drops = 0;
    for (let atMs = T0_MS; atMs < T0_MS + 4 * 24 * HOUR_MS; atMs += HOUR_MS) {
      for (const node of simulator.nodes) {
        for (const counter of simulator.workCounters(node.index, atMs)) {
          units.add(`${counter.series.source} ${counter.series.unit}`);
          const before = previous.get(counter.key);
          if (before && counter.value < before.value) {
            drops += 1;
            expect(atMs % (72 * HOUR_MS)).toBe(0); // a new epoch: the service's timeline restarts
          }
          previous.set(counter.key, { atMs, value: counter.value });
        }
      }
    }
    expect([...units].sort()).toEqual(["report samples", "triton requests", "vllm generation_tokens", "vllm prompt_tokens", "vllm requests"]);
    expect(drops).toBeGreaterThan(0);
  });
});

describe("backfillFleet", () => {
  it("sends batches whose work windows validate and name declared jobs", async () => {
    const simulator = new FleetSimulator({ seed: 42, nodeCount: 4, gpusPerNode: 8, clusterName: "sim" });
    const batches: IngestBatch[] = [];
    const fetchImpl: typeof fetch = async (_url, init) => {
      const batch = JSON.parse(gunzipSync(Buffer.from(init!.body as Uint8Array)).toString()) as IngestBatch;
      batches.push(batch);
      return new Response(JSON.stringify({ batchId: batch.batchId, duplicate: false, gpuWindowsStored: 0, jobWindowsStored: 0, windowsAlreadyStored: 0 }), { status: 200 });
    };
    const tokens = new Map(simulator.nodes.map((node) => [node.hostname, "token"]));
    await backfillFleet({ simulator, serverUrl: "http://gpu-roi.local", tokens, fetchImpl }, { fromMs: T0_MS + 12 * HOUR_MS, toMs: T0_MS + 14 * HOUR_MS, sampleIntervalMs: 10_000, windowMs: 60_000, batchSpanMs: HOUR_MS });
    expect(batches.length).toBeGreaterThan(0);
    const workWindows = batches.flatMap((batch) => batch.workWindows ?? []);
    expect(workWindows.length).toBeGreaterThan(0);
    for (const batch of batches) {
      const checked = ingestBatchSchema.safeParse(batch);
      expect(checked.success, JSON.stringify(checked.error?.issues?.slice(0, 2))).toBe(true);
      const jobIds = new Set(batch.jobs.map((job) => job.externalId));
      expect((batch.workWindows ?? []).every((window) => jobIds.has(window.jobExternalId))).toBe(true);
    }
    // The 60 s windows of one series hold no more than a minute's work at the measured rate (no double counting at boundaries).
    const maxChatTokensPerWindow = 2 * 900 * 60; // H100 at full load
    expect(workWindows.filter((window) => window.unit === "generation_tokens").every((window) => window.count <= maxChatTokensPerWindow)).toBe(true);
  });
});
