import fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectorAgent, type SourcePoll } from "../../../collectors/agent";
import { createProcReader, NodeAttributor } from "../../../collectors/attribution";
import { emptyParsedGpu } from "../../../collectors/sources/parse-values";
import { simulatedNodeSource } from "../../../collectors/sources/simulated-node";
import { WorkCollector } from "../../../collectors/work-counters/work-collector";
import { ingestBatchSchema, type IngestBatch } from "../../../server/wire/ingest-v1";

const START_MS = Date.UTC(2026, 10, 3, 9, 0, 0);
const SERVER_PID = 20;
const TRAINER_PID = 10;
const SOCKET_INODE = 424242;

/** A /proc copy: the vLLM server (pid 20) listening on `port`, and a training process (pid 10) on GPU 0 with a report file. */
function fakeProc(root: string, port: number): void {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  fs.mkdirSync(path.join(root, "net"), { recursive: true });
  fs.writeFileSync(
    path.join(root, "net", "tcp"),
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
      `   0: 0100007F:${hexPort} 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 ${SOCKET_INODE} 1 0000000000000000 100 0 0 10 0\n`,
  );
  fs.mkdirSync(path.join(root, String(SERVER_PID), "fd"), { recursive: true });
  fs.symlinkSync(`socket:[${SOCKET_INODE}]`, path.join(root, String(SERVER_PID), "fd", "7"));
  fs.writeFileSync(path.join(root, String(SERVER_PID), "environ"), "GPU_ROI_JOB_ID=chat-serving-1\0GPU_ROI_JOB_KIND=inference\0GPU_ROI_MODEL=llama-7b-ft\0");
  fs.writeFileSync(path.join(root, String(SERVER_PID), "cgroup"), "0::/system.slice/vllm.service\n");
  fs.mkdirSync(path.join(root, String(TRAINER_PID), "root", "data"), { recursive: true });
  fs.writeFileSync(path.join(root, String(TRAINER_PID), "environ"), "SLURM_JOB_ID=77\0GPU_ROI_WORK_FILE=/data/progress.jsonl\0");
  fs.writeFileSync(path.join(root, String(TRAINER_PID), "cgroup"), "0::/system.slice/slurmstepd.scope/job_77/step_0\n");
}

describe("CollectorAgent with work counters", () => {
  let procRoot: string;
  let server: Server;
  let url: string;
  /** What the fake vLLM has served so far; the test moves it between polls. */
  const served = { promptTokens: 0, generationTokens: 0, requests: 0, up: true };

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (!served.up) {
        response.statusCode = 503;
        response.end("restarting");
        return;
      }
      response.setHeader("content-type", "text/plain; version=0.0.4");
      response.end(
        [
          "# TYPE vllm:prompt_tokens_total counter",
          `vllm:prompt_tokens_total{engine="0",model_name="llama"} ${served.promptTokens}.0`,
          `vllm:generation_tokens_total{engine="0",model_name="llama"} ${served.generationTokens}.0`,
          `vllm:request_success_total{engine="0",finished_reason="stop",model_name="llama"} ${Math.floor(served.requests / 2)}.0`,
          `vllm:request_success_total{engine="0",finished_reason="length",model_name="llama"} ${Math.ceil(served.requests / 2)}.0`,
          "",
        ].join("\n"),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    url = `http://127.0.0.1:${port}/metrics`;
    procRoot = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-proc-"));
    fakeProc(procRoot, port);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(procRoot, { recursive: true, force: true });
  });

  it("sends the work of a scraped vLLM and of a training job's report file with the usage windows, resets included", async () => {
    let nowMs = START_MS;
    const procReader = createProcReader(procRoot);
    const lines: string[] = [];
    const work = new WorkCollector({ windowMs: 60_000, hostname: "node-a", endpoints: [url], procRoot, procReader, log: (line) => lines.push(line) });
    const batches: IngestBatch[] = [];
    const source = {
      name: "nvidia-smi" as const,
      async poll(): Promise<SourcePoll> {
        return { kind: "parsed", gpus: [{ ...emptyParsedGpu(), uuid: "GPU-0", index: 0, modelName: "NVIDIA H100 80GB HBM3", memoryTotalMiB: 81559, memoryUsedMiB: 2000, utilizationGpuPct: 90, processes: [{ pid: TRAINER_PID, name: "python", memoryUsedMiB: 2000 }] }] };
      },
    };
    const agent = new CollectorAgent({
      source,
      work,
      attributor: new NodeAttributor(procReader, "node-a"),
      hostname: "node-a",
      sink: { put: (batch) => batches.push(batch) },
      intervalMs: 10_000,
      windowMs: 60_000,
      now: () => nowMs,
      log: (line) => lines.push(line),
    });
    const reportFile = path.join(procRoot, String(TRAINER_PID), "root", "data", "progress.jsonl");
    fs.writeFileSync(reportFile, `${JSON.stringify({ unit: "samples", count: 5000, time: START_MS / 1000 - 30 })}\n`);
    // Seconds 0..60: vLLM serves 100 prompt and 40 generated tokens and 2 requests every 10 s,
    // restarts at second 30 (503 once, then counts from zero), and the trainer reports 640 samples every 10 s.
    for (let second = 0; second <= 60; second += 10) {
      if (second === 30) Object.assign(served, { promptTokens: 0, generationTokens: 0, requests: 0, up: false });
      else {
        served.up = true;
        served.promptTokens += 100;
        served.generationTokens += 40;
        served.requests += 2;
      }
      fs.appendFileSync(reportFile, `${JSON.stringify({ unit: "samples", count: 5000 + 64 * second, time: (START_MS + second * 1000) / 1000 })}\n`);
      nowMs = START_MS + second * 1000;
      await agent.tick();
    }
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    const checked = ingestBatchSchema.safeParse(batch);
    expect(checked.success, JSON.stringify(checked.error?.issues)).toBe(true);
    const counts = Object.fromEntries((batch.workWindows ?? []).map((window) => [`${window.jobExternalId} ${window.unit} ${window.source}`, window.count]));
    // Second 0 is the baseline (100 / 40 / 2 already counted); 10, 20: +100 each; 30: down, no reading;
    // 40: restarted, 100 counted from zero; 50, 60: +100 each. Prompt tokens: 500 in [0, 60 s).
    expect(counts).toEqual({
      "chat-serving-1 prompt_tokens vllm": 500,
      "chat-serving-1 generation_tokens vllm": 200,
      "chat-serving-1 requests vllm": 10,
      "slurm-77 samples report": 64 * 60,
    });
    expect((batch.workWindows ?? []).every((window) => window.startMs === START_MS && window.endMs === START_MS + 60_000)).toBe(true);
    expect(batch.jobs.find((job) => job.externalId === "chat-serving-1")).toMatchObject({ kind: "inference", model: "llama-7b-ft" });
    expect(lines).toContain(`work: scrape of ${url} failed (HTTP 503); its work is counted from its next reading`);
  });

  it("sends the simulated node's service counters as work windows with --source simulator", async () => {
    let nowMs = START_MS;
    const source = simulatedNodeSource();
    const procReader = createProcReader(procRoot);
    const batches: IngestBatch[] = [];
    const agent = new CollectorAgent({
      source,
      work: new WorkCollector({ windowMs: 60_000, hostname: source.hostname, procRoot, procReader }),
      attributor: new NodeAttributor(procReader, source.hostname),
      hostname: source.hostname,
      sink: { put: (batch) => batches.push(batch) },
      intervalMs: 10_000,
      windowMs: 60_000,
      now: () => nowMs,
    });
    for (let second = 0; second <= 120; second += 10) {
      nowMs = START_MS + second * 1000;
      await agent.tick();
    }
    expect(batches).toHaveLength(2);
    for (const batch of batches) expect(ingestBatchSchema.safeParse(batch).success).toBe(true);
    const second = batches[1].workWindows ?? [];
    expect(second.length).toBeGreaterThan(0);
    expect(second.every((window) => window.count > 0 && window.startMs === START_MS + 60_000)).toBe(true);
    const inferenceJobs = new Set(batches[1].jobs.filter((job) => job.kind === "inference").map((job) => job.externalId));
    expect(second.every((window) => inferenceJobs.has(window.jobExternalId))).toBe(true);
  });
});
