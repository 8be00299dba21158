/**
 * The bundle of `npm run build:collector` runs on Node alone: copied to an empty
 * directory (no node_modules, no package.json, no TypeScript), it prints its
 * help, polls once, and runs the agent against a real HTTP receiver on loopback.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestBatch } from "../../server/wire/ingest-v1";
import { buildCollectorBundle } from "../../scripts/build-collector";
import { fileURLToPath } from "node:url";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

const GPU_QUERY_ROWS = [
  "0, GPU-63d1e50a-b952-d15c-0740-12bc14859142, NVIDIA H100 80GB HBM3, 81559, 61000, 93, 612.40, Disabled",
  "1, GPU-7e1a2b3c-0000-4d5e-8f90-123456789abc, NVIDIA H100 80GB HBM3, 81559, 4, 0, 71.15, Disabled",
];
const APPS_ROWS = ["41000, /usr/bin/python3, GPU-63d1e50a-b952-d15c-0740-12bc14859142, 60500"];

describe("collector bundle", () => {
  let dir: string;
  let bundle: string;
  const children: ChildProcess[] = [];

  /** Runs the bundle with plain node, from the empty directory, with only PATH and the given variables. */
  const runBundle = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bundle, ...args], { cwd: dir, env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 30_000 });

  beforeAll(async () => {
    const built = await buildCollectorBundle(PROJECT_ROOT);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-bundle-"));
    bundle = path.join(dir, "gpu-roi-collector.mjs");
    fs.copyFileSync(built.file, bundle);
  }, 120_000);

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is one file in a directory without node_modules", () => {
    expect(fs.readdirSync(dir)).toEqual(["gpu-roi-collector.mjs"]);
    expect(fs.existsSync(path.join(dir, "node_modules"))).toBe(false);
  });

  it("prints its usage with --help, the one-shot poll included", () => {
    const result = runBundle(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("collector poll");
    expect(result.stdout).toContain("collector run --server URL --token TOKEN");
    const poll = runBundle(["poll", "--help"]);
    expect(poll.status).toBe(0);
    expect(poll.stdout).toContain("prints {atMs, hostname, source, gpus} as JSON");
  });

  it("parses a capture", () => {
    fs.writeFileSync(path.join(dir, "uuids.csv"), "uuid\nGPU-a\nGPU-b\n");
    const result = runBundle(["parse", path.join(dir, "uuids.csv")]);
    fs.rmSync(path.join(dir, "uuids.csv"));
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { gpus: { uuid: string }[] }).gpus.map((gpu) => gpu.uuid)).toEqual(["GPU-a", "GPU-b"]);
  });

  it("polls nvidia-smi once and prints the readings as JSON", () => {
    const binDir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-bundle-bin-"));
    try {
      fs.writeFileSync(path.join(binDir, "gpus.csv"), `${GPU_QUERY_ROWS.join("\n")}\n`);
      fs.writeFileSync(path.join(binDir, "apps.csv"), `${APPS_ROWS.join("\n")}\n`);
      fs.writeFileSync(
        path.join(binDir, "nvidia-smi"),
        '#!/bin/sh\nhere=$(dirname "$0")\ncase "$1" in\n  --query-gpu=*) cat "$here/gpus.csv" ;;\n  --query-compute-apps=*) cat "$here/apps.csv" ;;\n  *) exit 2 ;;\nesac\n',
        { mode: 0o755 },
      );
      const result = runBundle(["poll", "--hostname", "gpu-node-7", "--proc-root", binDir], { PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}` });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const poll = JSON.parse(result.stdout) as { hostname: string; source: string; gpus: { uuid: string; memoryUsedMiB: number; processes: { pid: number; job: { externalId: string } }[] }[] };
      expect(poll.hostname).toBe("gpu-node-7");
      expect(poll.source).toBe("nvidia-smi");
      expect(poll.gpus.map((gpu) => [gpu.uuid, gpu.memoryUsedMiB])).toEqual([
        ["GPU-63d1e50a-b952-d15c-0740-12bc14859142", 61000],
        ["GPU-7e1a2b3c-0000-4d5e-8f90-123456789abc", 4],
      ]);
      // The process has no /proc entry under --proc-root: it is the node's unattributed job.
      expect(poll.gpus[0].processes.map((process) => process.pid)).toEqual([41000]);
      expect(poll.gpus[0].processes[0].job.externalId).toContain("gpu-node-7");
    } finally {
      fs.rmSync(binDir, { recursive: true, force: true });
    }
  });

  it("exits 1 with the reason when the source cannot be read", () => {
    const result = runBundle(["poll", "--source", "dcgm=http://127.0.0.1:9/metrics"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^poll failed: /);
  });

  it("runs the agent and delivers gzip JSON batches to a real HTTP receiver, then stops on SIGTERM", async () => {
    const batches: IngestBatch[] = [];
    const authorizations: string[] = [];
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        authorizations.push(request.headers.authorization ?? "");
        const batch = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString("utf8")) as IngestBatch;
        batches.push(batch);
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ batchId: batch.batchId, duplicate: false, gpuWindowsStored: batch.gpuWindows.length, jobWindowsStored: batch.jobWindows.length, windowsAlreadyStored: 0 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const spoolDir = path.join(dir, "spool");
    try {
      const child = spawn(
        process.execPath,
        [bundle, "run", "--source", "simulator", "--interval", "200ms", "--window", "1s", "--metrics-port", "0", "--spool", spoolDir],
        {
          cwd: dir,
          env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", GPU_ROI_SERVER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, GPU_ROI_TOKEN: "groi_bundle_test" },
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      children.push(child);
      let log = "";
      child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const deadline = Date.now() + 30_000;
      while (batches.length < 2) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no batches from the bundle:\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(authorizations.every((value) => value === "Bearer groi_bundle_test")).toBe(true);
      const gpuUuids = new Set(batches.flatMap((batch) => batch.gpuWindows.map((window) => window.gpuUuid)));
      expect(gpuUuids.size).toBe(8);
      expect(batches[0].collector?.source).toBe("simulator");
      expect(log).toContain("SIGTERM: flushing open windows to the spool");
    } finally {
      server.closeAllConnections();
      server.close();
      fs.rmSync(spoolDir, { recursive: true, force: true });
    }
  }, 60_000);
});
