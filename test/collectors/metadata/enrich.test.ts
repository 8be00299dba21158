import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectorAgent, type GpuSource } from "../../../collectors/agent";
import { createProcReader, NodeAttributor, type AttributedPoll } from "../../../collectors/attribution";
import { JobMetadataEnricher, mergeJobMetadata, metadataKey } from "../../../collectors/metadata/enrich";
import { KubernetesPodCache } from "../../../collectors/metadata/kubernetes-metadata";
import { DEFAULT_MAPPING_RULES } from "../../../collectors/metadata/mapping-rules";
import { SlurmJobCache } from "../../../collectors/metadata/slurm-metadata";
import type { GpuReading, JobAttribution } from "../../../collectors/readings";
import { emptyParsedGpu } from "../../../collectors/sources/parse-values";
import { ingestBatchSchema, type IngestBatch } from "../../../server/wire/ingest-v1";

const fixtures = path.join(__dirname, "../../fixtures");
const podList = fs.readFileSync(path.join(fixtures, "kubernetes/api-pods__gpu-node__constructed.json"), "utf8");
const PYTORCH_UID = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const NOTEBOOK_UID = "0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b";
const START_MS = Date.UTC(2026, 11, 4, 9, 0, 0);

const reading = (index: number, jobs: JobAttribution[]): GpuReading => ({
  uuid: `GPU-${index}`,
  index,
  modelName: "NVIDIA A100-SXM4-80GB",
  memoryTotalMiB: 81920,
  migParentUuid: null,
  migProfile: null,
  utilizationGpuPct: 90,
  smActivePct: null,
  memoryUsedMiB: 4000,
  powerDrawW: 300,
  processes: jobs.map((job, pid) => ({ pid: 100 + pid, name: "python", memoryUsedMiB: 4000, utilizationPct: null, job })),
});

describe("metadataKey", () => {
  it("tells what to look up from the id attribution gave a job", () => {
    expect(metadataKey(`pod-${PYTORCH_UID}`)).toEqual({ kind: "pod-uid", uid: PYTORCH_UID });
    expect(metadataKey("k8s-serving/chat-vllm-7d9c5b6f48-x2kq9")).toEqual({ kind: "pod-name", name: "serving/chat-vllm-7d9c5b6f48-x2kq9" });
    expect(metadataKey("slurm-4242")).toEqual({ kind: "slurm", jobId: "4242" });
    expect(metadataKey("container-0123456789ab")).toBeNull();
    expect(metadataKey("unattributed-node-a")).toBeNull();
  });
});

describe("mergeJobMetadata", () => {
  it("keeps what the job's own environment said and fills the rest from metadata", () => {
    const job: JobAttribution = { externalId: "slurm-4242", kind: "training", team: "from-env", project: null, labels: { attribution: "slurm", partition: "env-partition" } };
    expect(mergeJobMetadata(job, { values: { team: "nlp-research", project: "llama3-finetune" }, labels: { partition: "a100", account: "nlp-research" } })).toEqual({
      externalId: "slurm-4242",
      kind: "training",
      team: "from-env",
      project: "llama3-finetune",
      labels: { attribution: "slurm", partition: "env-partition", account: "nlp-research" },
    });
  });
});

describe("JobMetadataEnricher", () => {
  let server: http.Server;
  let podsUrl: string;
  let binDir: string;
  let serverUp = true;

  beforeAll(async () => {
    server = http.createServer((_request, response) => {
      if (!serverUp) {
        response.writeHead(503).end("unavailable");
        return;
      }
      response.writeHead(200, { "content-type": "application/json" }).end(podList);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    podsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pods`;
    binDir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-enrich-"));
    fs.writeFileSync(path.join(binDir, "scontrol"), `#!/bin/sh\ncat "${path.join(fixtures, "slurm/scontrol-show-job-o__gpu-job.txt")}"\n`);
    fs.chmodSync(path.join(binDir, "scontrol"), 0o755);
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(binDir, { recursive: true, force: true });
  });

  const enricher = (options: { podResources?: boolean } = {}) =>
    new JobMetadataEnricher({
      rules: DEFAULT_MAPPING_RULES,
      kubernetes: new KubernetesPodCache({ podsUrl, tokenFile: null, caFile: null, cacheTtlMs: 60_000, timeoutMs: 2_000 }, { now: () => START_MS }),
      slurm: new SlurmJobCache({ mode: "scontrol", cacheTtlMs: 60_000, timeoutMs: 2_000, scontrol: path.join(binDir, "scontrol") }, { now: () => START_MS }),
      podResources: options.podResources
        ? {
            list: async () => [
              { namespace: "notebooks", name: "jupyter-ana-0", containers: [{ name: "notebook", devices: [{ resourceName: "nvidia.com/gpu", deviceIds: ["GPU-2"] }] }] },
              { namespace: "nlp-research", name: "llama-ft-worker-0", containers: [{ name: "pytorch", devices: [{ resourceName: "nvidia.com/gpu", deviceIds: ["GPU-0"] }] }] },
              { namespace: "gone", name: "old-pod", containers: [{ name: "c", devices: [{ resourceName: "nvidia.com/gpu", deviceIds: ["GPU-9"] }] }] },
              { namespace: "new", name: "just-started", containers: [{ name: "c", devices: [{ resourceName: "nvidia.com/gpu", deviceIds: ["GPU-1"] }] }] },
              { namespace: "serving", name: "chat-vllm-7d9c5b6f48-x2kq9", containers: [{ name: "vllm", devices: [{ resourceName: "nvidia.com/gpu", deviceIds: ["GPU-3"] }] }] },
            ],
          }
        : null,
    });

  it("gives a pod's job its namespace team, Kueue project and Kubeflow experiment, a Slurm job its account, and leaves other jobs alone", async () => {
    const podJob: JobAttribution = { externalId: `pod-${PYTORCH_UID}`, kind: "training", labels: { attribution: "kubernetes" } };
    const dcgmJob: JobAttribution = { externalId: "k8s-serving/chat-vllm-7d9c5b6f48-x2kq9", kind: "training", labels: { attribution: "dcgm-pod" } };
    const slurmJob: JobAttribution = { externalId: "slurm-4242", kind: "training", labels: { attribution: "slurm" } };
    const containerJob: JobAttribution = { externalId: "container-0123456789ab", kind: "training", labels: { attribution: "container" } };
    const poll: AttributedPoll = { gpus: [reading(0, [podJob, podJob]), reading(1, [slurmJob, containerJob])], idleAllocations: [{ gpuUuid: "GPU-3", job: dcgmJob }] };
    const enriched = await enricher().enrich(poll);
    expect(enriched.gpus[0].processes.map((process) => process.job)).toEqual([
      {
        externalId: `pod-${PYTORCH_UID}`,
        kind: "training",
        team: "nlp-research",
        project: "nlp-gpu",
        experiment: "llama-ft-0412",
        labels: { attribution: "kubernetes", namespace: "nlp-research", pod: "llama-ft-worker-0", workloadKind: "PyTorchJob", workload: "llama-ft-0412", kueueQueue: "nlp-gpu" },
      },
      expect.objectContaining({ team: "nlp-research" }),
    ]);
    expect(enriched.gpus[1].processes.map((process) => process.job)).toEqual([
      expect.objectContaining({ externalId: "slurm-4242", team: "nlp-research", project: "llama3-finetune", experiment: "sweep 7: lr=3e-4 warmup=500", user: "alice" }),
      containerJob,
    ]);
    expect(enriched.idleAllocations[0].job).toMatchObject({ team: "applied-ml", model: "llama-3.1-8b-instruct", user: "maria" });
    // The poll it was given is left as it was.
    expect(poll.gpus[0].processes[0].job.team).toBeUndefined();
  });

  it("adds GPUs the kubelet gave a pod that run no process, named by the pod's UID; a pod the list does not know yet waits", async () => {
    const podJob: JobAttribution = { externalId: `pod-${PYTORCH_UID}`, kind: "training", labels: { attribution: "kubernetes" } };
    const otherJob: JobAttribution = { externalId: "container-0123456789ab", kind: "training", labels: { attribution: "container" } };
    // GPU-0 runs the PyTorch pod's process, GPU-1 is new/just-started's (not in the pod list yet),
    // GPU-2 the idle notebook's, GPU-3 runs a process the vLLM pod does not own by its UID.
    const enriched = await enricher({ podResources: true }).enrich({ gpus: [reading(0, [podJob]), reading(1, []), reading(2, []), reading(3, [otherJob])], idleAllocations: [] });
    expect(enriched.idleAllocations).toEqual([
      {
        gpuUuid: "GPU-2",
        job: {
          externalId: `pod-${NOTEBOOK_UID}`,
          kind: "training",
          experiment: "tokenizer-ablation",
          team: "notebooks",
          labels: { attribution: "pod-resources", namespace: "notebooks", pod: "jupyter-ana-0", workloadKind: "StatefulSet", workload: "jupyter-ana" },
        },
      },
    ]);
  });

  it("keeps the poll and its jobs as they were when the pods cannot be fetched", async () => {
    serverUp = false;
    try {
      const podJob: JobAttribution = { externalId: `pod-${PYTORCH_UID}`, kind: "training", labels: { attribution: "kubernetes" } };
      const enriched = await enricher().enrich({ gpus: [reading(0, [podJob])], idleAllocations: [] });
      expect(enriched.gpus[0].processes[0].job).toEqual(podJob);
    } finally {
      serverUp = true;
    }
  });

  it("sends the mapped team in the agent's batch for a pod found through /proc", async () => {
    const procRoot = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-proc-"));
    try {
      fs.mkdirSync(path.join(procRoot, "10"));
      fs.writeFileSync(path.join(procRoot, "10", "environ"), "PATH=/usr/bin\0");
      fs.writeFileSync(path.join(procRoot, "10", "cgroup"), `0::/kubepods.slice/kubepods-pod${PYTORCH_UID.replace(/-/g, "_")}.slice/cri-containerd-${"a".repeat(64)}.scope\n`);
      let nowMs = START_MS;
      const source: GpuSource = {
        name: "nvidia-smi",
        poll: async () => ({
          kind: "parsed",
          gpus: [{ ...emptyParsedGpu(), uuid: "GPU-0", index: 0, modelName: "NVIDIA A100-SXM4-80GB", memoryTotalMiB: 81920, utilizationGpuPct: 95, processes: [{ pid: 10, name: "python", memoryUsedMiB: 30000 }] }],
        }),
      };
      const batches: IngestBatch[] = [];
      const agent = new CollectorAgent({
        source,
        attributor: new NodeAttributor(createProcReader(procRoot), "gpu-node-07"),
        enricher: enricher(),
        hostname: "gpu-node-07",
        sink: { put: (batch) => batches.push(batch) },
        intervalMs: 30_000,
        windowMs: 60_000,
        now: () => nowMs,
      });
      for (let i = 0; i < 3; i++) {
        await agent.tick();
        nowMs += 30_000;
      }
      expect(batches).toHaveLength(1);
      expect(ingestBatchSchema.parse(batches[0]).jobs).toEqual([
        expect.objectContaining({ externalId: `pod-${PYTORCH_UID}`, team: "nlp-research", project: "nlp-gpu", experiment: "llama-ft-0412" }),
      ]);
    } finally {
      fs.rmSync(procRoot, { recursive: true, force: true });
    }
  });
});

describe("JobMetadataEnricher without a pod list", () => {
  it("names a pod-resources allocation k8s-NAMESPACE/POD, as dcgm-exporter's labels do", async () => {
    const enricher = new JobMetadataEnricher({
      rules: DEFAULT_MAPPING_RULES,
      podResources: { list: async () => [{ namespace: "notebooks", name: "jupyter-ana-0", containers: [{ name: "notebook", devices: [{ resourceName: "nvidia.com/gpu", deviceIds: ["GPU-2"] }] }] }] },
    });
    expect((await enricher.enrich({ gpus: [reading(2, [])], idleAllocations: [] })).idleAllocations).toEqual([
      { gpuUuid: "GPU-2", job: { externalId: "k8s-notebooks/jupyter-ana-0", kind: "training", labels: { attribution: "pod-resources" } } },
    ]);
  });
});

describe("JobMetadataEnricher failures", () => {
  it("logs a source that keeps failing once, and again when it answers", async () => {
    const lines: string[] = [];
    let up = false;
    const enricher = new JobMetadataEnricher({
      rules: DEFAULT_MAPPING_RULES,
      podResources: {
        list: async () => {
          if (!up) throw new Error("/var/lib/kubelet/pod-resources/kubelet.sock: connect ENOENT");
          return [];
        },
      },
      log: (line) => lines.push(line),
    });
    const poll: AttributedPoll = { gpus: [reading(0, [])], idleAllocations: [] };
    for (let i = 0; i < 3; i++) expect(await enricher.enrich(poll)).toEqual(poll);
    up = true;
    await enricher.enrich(poll);
    expect(lines).toEqual([
      "pod-resources metadata: /var/lib/kubelet/pod-resources/kubelet.sock: connect ENOENT; jobs keep what attribution gave them",
      "pod-resources metadata: answering again",
    ]);
  });
});

describe("JobMetadataEnricher with a slow API server", () => {
  it("does not hold a poll past maxWaitMs, and names the job in the next poll once the answer came", async () => {
    let requests = 0;
    const slow = http.createServer((_request, response) => {
      requests += 1;
      setTimeout(() => response.end(podList), 400);
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    try {
      const enricher = new JobMetadataEnricher({
        rules: DEFAULT_MAPPING_RULES,
        maxWaitMs: 50,
        kubernetes: new KubernetesPodCache(
          { podsUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/pods`, tokenFile: null, caFile: null, cacheTtlMs: 60_000, timeoutMs: 2_000 },
          { now: () => START_MS },
        ),
      });
      const podJob: JobAttribution = { externalId: `pod-${PYTORCH_UID}`, kind: "training", labels: { attribution: "kubernetes" } };
      const poll: AttributedPoll = { gpus: [reading(0, [podJob])], idleAllocations: [] };
      const started = performance.now();
      expect((await enricher.enrich(poll)).gpus[0].processes[0].job).toEqual(podJob);
      expect(performance.now() - started).toBeLessThan(350);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await enricher.enrich(poll)).gpus[0].processes[0].job).toMatchObject({ team: "nlp-research", experiment: "llama-ft-0412" });
      expect(requests).toBe(1);
    } finally {
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});
