import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectorAgent, type GpuSource, type SourcePoll } from "../../collectors/agent";
import { createProcReader, NodeAttributor } from "../../collectors/attribution";
import { emptyParsedGpu, type ParsedGpu } from "../../collectors/sources/parse-values";
import { ingestBatchSchema, type IngestBatch } from "../../server/wire/ingest-v1";

const START_MS = Date.UTC(2026, 10, 3, 9, 0, 0);

const gpu = (index: number, pids: number[]): ParsedGpu => ({
  ...emptyParsedGpu(),
  uuid: `GPU-${index}`,
  index,
  modelName: "NVIDIA H100 80GB HBM3",
  memoryTotalMiB: 81559,
  memoryUsedMiB: 1000,
  utilizationGpuPct: 50,
  powerDrawW: 300,
  processes: pids.map((pid) => ({ pid, name: "python", memoryUsedMiB: 1000 })),
});

describe("CollectorAgent", () => {
  let procRoot: string;
  beforeAll(() => {
    procRoot = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-proc-"));
    fs.mkdirSync(path.join(procRoot, "10"));
    fs.writeFileSync(path.join(procRoot, "10", "environ"), "SLURM_JOB_ID=5\0SLURM_JOB_GPUS=0,1\0");
    fs.writeFileSync(path.join(procRoot, "10", "cgroup"), "0::/system.slice/slurmstepd.scope/job_5/step_0\n");
  });
  afterAll(() => fs.rmSync(procRoot, { recursive: true, force: true }));

  it("folds polls into windows, counts failed polls, and reports an allocated idle GPU with processCount 0", async () => {
    let nowMs = START_MS;
    let calls = 0;
    const source: GpuSource = {
      name: "nvidia-smi",
      async poll(): Promise<SourcePoll> {
        calls += 1;
        if (calls === 3) throw new Error("nvidia-smi: exit status 15");
        return { kind: "parsed", gpus: [gpu(0, [10]), gpu(1, []), gpu(2, [])] };
      },
    };
    const batches: IngestBatch[] = [];
    const lines: string[] = [];
    const agent = new CollectorAgent({
      source,
      attributor: new NodeAttributor(createProcReader(procRoot), "node-a"),
      hostname: "node-a",
      sink: { put: (batch) => batches.push(batch) },
      intervalMs: 10_000,
      windowMs: 60_000,
      now: () => nowMs,
      log: (line) => lines.push(line),
    });
    for (let i = 0; i <= 6; i++) {
      await agent.tick();
      nowMs += 10_000;
    }
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(ingestBatchSchema.safeParse(batch).success).toBe(true);
    expect(batch.collector).toEqual({ version: "0.1.0", source: "nvidia-smi", failedPolls: 1 });
    expect(batch.gpuWindows.map((window) => [window.gpuUuid, window.startMs, window.sampleCount])).toEqual([
      ["GPU-0", START_MS, 5],
      ["GPU-1", START_MS, 5],
      ["GPU-2", START_MS, 5],
    ]);
    expect(batch.jobWindows.map((window) => [window.gpuUuid, window.jobExternalId, window.processCount, window.sampleCount])).toEqual([
      ["GPU-0", "slurm-5", 1, 5],
      ["GPU-1", "slurm-5", 0, 5],
    ]);
    expect(batch.jobs.map((job) => job.externalId)).toEqual(["slurm-5"]);
    expect(lines.some((line) => line.includes("exit status 15"))).toBe(true);
  });

  it("counts a poll that hangs past the timeout as failed", async () => {
    const agent = new CollectorAgent({
      source: { name: "dcgm-exporter", poll: () => new Promise(() => undefined) },
      attributor: new NodeAttributor(createProcReader(procRoot), "node-a"),
      hostname: "node-a",
      sink: { put: () => undefined },
      intervalMs: 1000,
      windowMs: 1000,
      pollTimeoutMs: 20,
      now: () => START_MS,
    });
    await agent.poll();
    expect(agent.pollsFailedTotal).toBe(1);
  });

  it("hands the partial window on at stop with flush, its sampleCount saying how many polls it holds", async () => {
    let nowMs = START_MS;
    const batches: IngestBatch[] = [];
    const agent = new CollectorAgent({
      source: { name: "nvidia-smi", poll: async () => ({ kind: "parsed", gpus: [gpu(0, [])] }) },
      attributor: new NodeAttributor(createProcReader(procRoot), "node-a"),
      hostname: "node-a",
      sink: { put: (batch) => batches.push(batch) },
      intervalMs: 10_000,
      windowMs: 60_000,
      now: () => nowMs,
    });
    await agent.tick();
    nowMs += 10_000;
    await agent.tick();
    await agent.stop({ flush: true });
    expect(batches.map((batch) => batch.gpuWindows.map((window) => window.sampleCount))).toEqual([[2]]);
  });
});
