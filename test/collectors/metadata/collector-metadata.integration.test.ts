import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueNodeToken } from "../../../server/services/node-tokens";
import { startHttpIngestServer, type HttpIngestServer } from "../../support/http-ingest-server";
import { createSqliteTestDatabase, PROJECT_ROOT, type TestDatabase } from "../../support/test-databases";

const HOSTNAME = "gpu-node-07";
const PYTORCH_UID = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const fixtures = path.join(PROJECT_ROOT, "test/fixtures");

/**
 * `collector run` as a process, on a node made of files: nvidia-smi and
 * scontrol are executables on PATH printing captured shapes, /proc is a
 * directory, the API server a loopback HTTP server with a pod list, and the
 * gpu-roi server a real ingest server on SQLite.
 */
describe("collector run with Kubernetes and Slurm metadata", () => {
  let db: TestDatabase;
  let server: HttpIngestServer;
  let pods: http.Server;
  let dir: string;
  let child: ChildProcess | null = null;
  let stderr = "";

  beforeAll(async () => {
    db = await createSqliteTestDatabase();
    server = await startHttpIngestServer(db.sql);
    pods = http.createServer((_request, response) => response.end(fs.readFileSync(path.join(fixtures, "kubernetes/api-pods__gpu-node__constructed.json"))));
    await new Promise<void>((resolve) => pods.listen(0, "127.0.0.1", resolve));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-node-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const script = (name: string, body: string) => {
      fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
      fs.chmodSync(path.join(bin, name), 0o755);
    };
    script(
      "nvidia-smi",
      `case "$1" in
  --query-gpu=*) printf '0, GPU-11111111-2222-3333-4444-555555555555, NVIDIA A100-SXM4-80GB, 81920, 30000, 97, 310.5, Disabled\\n1, GPU-66666666-7777-8888-9999-000000000000, NVIDIA A100-SXM4-80GB, 81920, 20000, 88, 290.0, Disabled\\n' ;;
  --query-compute-apps=*) printf '4242, python, GPU-11111111-2222-3333-4444-555555555555, 30000\\n5151, python, GPU-66666666-7777-8888-9999-000000000000, 20000\\n' ;;
  *) exit 2 ;;
esac`,
    );
    script("scontrol", `cat "${path.join(fixtures, "slurm/scontrol-show-job-o__gpu-job.txt")}"`);
    const proc = path.join(dir, "proc");
    for (const [pid, cgroup] of [
      ["4242", `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${PYTORCH_UID.replace(/-/g, "_")}.slice/cri-containerd-${"b".repeat(64)}.scope\n`],
      ["5151", "0::/system.slice/slurmstepd.scope/job_4242/step_0/user/task_0\n"],
    ]) {
      fs.mkdirSync(path.join(proc, pid), { recursive: true });
      fs.writeFileSync(path.join(proc, pid, "cgroup"), cgroup);
      fs.writeFileSync(path.join(proc, pid, "environ"), "PATH=/usr/bin\0");
    }
    fs.writeFileSync(path.join(dir, "rules.json"), JSON.stringify({ kubernetes: { model: ["=llama-3.1-70b"] } }));
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await new Promise((resolve) => pods?.close(resolve));
    await server?.stop();
    await db?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stores the pod's and the Slurm job's team, project, experiment and labels with their GPU time", async () => {
    const token = (await issueNodeToken(db.prisma, { clusterName: "prod", hostname: HOSTNAME, nowMs: Date.now() })).token;
    fs.writeFileSync(path.join(dir, "token"), `${token}\n`);
    child = spawn(
      process.execPath,
      ["--import", "tsx", "collectors/cli.ts", "run", "--interval", "250ms", "--window", "1s", "--metrics-port", "0", "--proc-root", path.join(dir, "proc")],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
          GPU_ROI_SERVER: server.url,
          GPU_ROI_TOKEN_FILE: path.join(dir, "token"),
          GPU_ROI_HOSTNAME: HOSTNAME,
          GPU_ROI_SPOOL_DIR: path.join(dir, "spool"),
          GPU_ROI_K8S_PODS_URL: `http://127.0.0.1:${(pods.address() as AddressInfo).port}/api/v1/pods?fieldSelector=spec.nodeName=${HOSTNAME}`,
          GPU_ROI_SLURM_METADATA: "scontrol",
          GPU_ROI_MAPPING_RULES: path.join(dir, "rules.json"),
        },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on("exit", (code) => resolve(code)));

    type JobRow = { external_id: string; team: string | null; project: string | null; model: string | null; experiment: string | null; user_name: string | null; labels_json: string };
    const deadline = Date.now() + 45_000;
    let jobs: JobRow[] = [];
    while (Date.now() < deadline) {
      jobs = await db.sql.query<JobRow>(`SELECT external_id, team, project, model, experiment, user_name, labels_json FROM job ORDER BY external_id`);
      // A poll waits a fifth of the interval for metadata; a later batch brings what came after.
      if (jobs.length >= 2 && jobs.every((job) => job.team !== null)) break;
      if (child.exitCode !== null) throw new Error(`collector exited ${child.exitCode}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(jobs.map(({ labels_json, ...job }) => ({ ...job, labels: JSON.parse(labels_json) }))).toEqual([
      {
        external_id: `pod-${PYTORCH_UID}`,
        team: "nlp-research",
        project: "nlp-gpu",
        model: "llama-3.1-70b",
        experiment: "llama-ft-0412",
        user_name: null,
        labels: expect.objectContaining({ attribution: "kubernetes", namespace: "nlp-research", pod: "llama-ft-worker-0", workloadKind: "PyTorchJob", kueueQueue: "nlp-gpu" }),
      },
      {
        external_id: "slurm-4242",
        team: "nlp-research",
        project: "llama3-finetune",
        model: null,
        experiment: "sweep 7: lr=3e-4 warmup=500",
        user_name: "alice",
        labels: expect.objectContaining({ attribution: "slurm", account: "nlp-research", partition: "a100", qos: "gpu-high", wckey: "llama3-finetune" }),
      },
    ]);
    const [usage] = await db.sql.query<{ n: number | bigint }>(`SELECT COUNT(*) AS n FROM job_usage_window`);
    expect(Number(usage.n)).toBeGreaterThanOrEqual(2);
  });
});
