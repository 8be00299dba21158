import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  allocatedGpuRefs,
  attributeDcgmWorkload,
  attributeProcess,
  createProcReader,
  NodeAttributor,
  parseCgroup,
  parseEnviron,
} from "../../../collectors/attribution";
import { emptyParsedGpu, type ParsedGpu } from "../../../collectors/sources/parse-values";

const POD_UID = "3f1c2b9a-7d4e-4a5b-9c8d-0e1f2a3b4c5d";
const CONTAINER = "a".repeat(64);

describe("parseEnviron", () => {
  it("splits NUL-separated entries and keeps values that contain =", () => {
    const env = parseEnviron("SLURM_JOB_ID=42\0OPTS=a=b\0EMPTY=\0\0");
    expect([...env]).toEqual([
      ["SLURM_JOB_ID", "42"],
      ["OPTS", "a=b"],
      ["EMPTY", ""],
    ]);
  });
});

describe("parseCgroup", () => {
  it("finds the pod UID in cgroup v1 kubepods paths", () => {
    const text = `12:devices:/kubepods/burstable/pod${POD_UID}/${CONTAINER}\n11:memory:/kubepods/burstable/pod${POD_UID}/${CONTAINER}\n`;
    expect(parseCgroup(text)).toEqual({ podUid: POD_UID, slurmJobId: null, containerId: CONTAINER });
  });

  it("finds the pod UID in systemd slices, where dashes are underscores", () => {
    const text = `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replace(/-/g, "_")}.slice/cri-containerd-${CONTAINER}.scope\n`;
    expect(parseCgroup(text)).toEqual({ podUid: POD_UID, slurmJobId: null, containerId: CONTAINER });
  });

  it("finds Slurm job cgroups in v1 and v2 layouts", () => {
    expect(parseCgroup("4:devices:/slurm/uid_1000/job_1234/step_0/task_0\n").slurmJobId).toBe("1234");
    expect(parseCgroup("0::/system.slice/slurmstepd.scope/job_77/step_batch/user/task_0\n").slurmJobId).toBe("77");
  });

  it("returns nothing for a login session", () => {
    expect(parseCgroup("0::/user.slice/user-1000.slice/session-3.scope\n")).toEqual({ podUid: null, slurmJobId: null, containerId: null });
  });
});

describe("attributeProcess", () => {
  it("makes a Slurm job from SLURM_JOB_ID with metadata from GPU_ROI_ variables", () => {
    const env = parseEnviron("SLURM_JOB_ID=981\0SLURM_JOB_USER=alice\0GPU_ROI_TEAM=nlp\0GPU_ROI_PROJECT=assistant\0GPU_ROI_MODEL=llama\0GPU_ROI_EXPERIMENT=lr-sweep\0SLURM_JOB_PARTITION=a100");
    expect(attributeProcess(env, parseCgroup(""))).toEqual({
      externalId: "slurm-981",
      kind: "training",
      team: "nlp",
      project: "assistant",
      model: "llama",
      experiment: "lr-sweep",
      user: "alice",
      labels: { attribution: "slurm", partition: "a100" },
    });
  });

  it("takes the kind from GPU_ROI_JOB_KIND and honours renamed variables", () => {
    const env = parseEnviron("TEAM_NAME=ads\0GPU_ROI_JOB_KIND=inference\0USER=bob");
    const job = attributeProcess(env, parseCgroup(`0::/kubepods/pod${POD_UID}/${CONTAINER}`), {
      env: { jobId: "GPU_ROI_JOB_ID", team: "TEAM_NAME", project: "P", model: "M", experiment: "E", user: "U", jobKind: "GPU_ROI_JOB_KIND", workFile: "W" },
      defaultKind: "training",
    });
    expect(job).toMatchObject({ externalId: `pod-${POD_UID}`, kind: "inference", team: "ads", user: "bob", labels: { attribution: "kubernetes", containerId: CONTAINER.slice(0, 12) } });
  });

  it("returns null when neither environment nor cgroup names a job", () => {
    expect(attributeProcess(parseEnviron("HOME=/root"), parseCgroup("0::/user.slice"))).toBeNull();
  });
});

describe("allocatedGpuRefs", () => {
  it("prefers SLURM_JOB_GPUS host indexes over renumbered CUDA_VISIBLE_DEVICES", () => {
    expect(allocatedGpuRefs(parseEnviron("SLURM_JOB_ID=1\0SLURM_JOB_GPUS=2,3\0CUDA_VISIBLE_DEVICES=0,1"))).toEqual(["2", "3"]);
    expect(allocatedGpuRefs(parseEnviron("SLURM_JOB_ID=1\0CUDA_VISIBLE_DEVICES=0,1"))).toEqual([]);
    expect(allocatedGpuRefs(parseEnviron("NVIDIA_VISIBLE_DEVICES=GPU-a,GPU-b"))).toEqual(["GPU-a", "GPU-b"]);
    expect(allocatedGpuRefs(parseEnviron("NVIDIA_VISIBLE_DEVICES=all\0CUDA_VISIBLE_DEVICES=1"))).toEqual(["1"]);
  });
});

describe("attributeDcgmWorkload", () => {
  it("maps pod labels to a namespaced job and hpc_job to a Slurm job", () => {
    expect(attributeDcgmWorkload({ pod: "trainer-0", namespace: "ml", container: "main", hpcJob: null })).toEqual({
      externalId: "k8s-ml/trainer-0",
      kind: "training",
      labels: { attribution: "dcgm-pod", pod: "trainer-0", namespace: "ml", container: "main" },
    });
    expect(attributeDcgmWorkload({ pod: null, namespace: null, container: null, hpcJob: "55" })?.externalId).toBe("slurm-55");
  });
});

describe("NodeAttributor", () => {
  let procRoot: string;
  const write = (pid: number, environ: string[], cgroup: string) => {
    fs.mkdirSync(path.join(procRoot, String(pid)), { recursive: true });
    fs.writeFileSync(path.join(procRoot, String(pid), "environ"), `${environ.join("\0")}\0`);
    fs.writeFileSync(path.join(procRoot, String(pid), "cgroup"), cgroup);
  };
  beforeAll(() => {
    procRoot = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-proc-"));
    write(100, ["SLURM_JOB_ID=7", "SLURM_JOB_GPUS=0,1", "GPU_ROI_TEAM=vision"], "0::/system.slice/slurmstepd.scope/job_7/step_0/user/task_0\n");
    write(200, ["HOME=/root"], `12:devices:/kubepods/besteffort/pod${POD_UID}/${CONTAINER}\n`);
    write(300, ["HOME=/root"], "0::/user.slice/user-1000.slice/session-1.scope\n");
    // 400 has no /proc entry: it exited between the poll and the read.
  });
  afterAll(() => fs.rmSync(procRoot, { recursive: true, force: true }));

  const gpu = (index: number, pids: number[]): ParsedGpu => ({
    ...emptyParsedGpu(),
    uuid: `GPU-${index}`,
    index,
    modelName: "NVIDIA A100-SXM4-80GB",
    memoryTotalMiB: 81920,
    processes: pids.map((pid) => ({ pid, name: `python${pid}`, memoryUsedMiB: 1000 })),
  });

  it("attributes each process from a /proc tree, never drops one, and reports idle allocated GPUs", () => {
    const attributor = new NodeAttributor(createProcReader(procRoot), "node-a");
    const poll = attributor.attributePoll([gpu(0, [100]), gpu(1, []), gpu(2, [200, 300]), gpu(3, [400])]);
    expect(poll.gpus.map((reading) => reading.processes.map((process) => process.job.externalId))).toEqual([
      ["slurm-7"],
      [],
      [`pod-${POD_UID}`, "unattributed-node-a"],
      ["unattributed-node-a"],
    ]);
    expect(poll.gpus[2].processes[1].job).toEqual({ externalId: "unattributed-node-a", kind: "other", labels: { attribution: "none" } });
    expect(poll.gpus[0].processes[0].job.team).toBe("vision");
    expect(poll.idleAllocations.map((allocation) => [allocation.gpuUuid, allocation.job.externalId])).toEqual([["GPU-1", "slurm-7"]]);
  });

  it("turns dcgm-exporter workloads into allocations of their GPU", () => {
    const attributor = new NodeAttributor(createProcReader(procRoot), "node-a");
    const poll = attributor.attributePoll([gpu(0, [])], [
      {
        uuid: "GPU-0",
        hostname: null,
        driverVersion: null,
        grEngineActivePct: null,
        tensorActivePct: null,
        totalEnergyConsumptionJ: null,
        workloads: [{ pod: "web-1", namespace: "serving", container: "triton", hpcJob: null }],
      },
    ]);
    expect(poll.idleAllocations).toEqual([{ gpuUuid: "GPU-0", job: expect.objectContaining({ externalId: "k8s-serving/web-1" }) }]);
  });
});
