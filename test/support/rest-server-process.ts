/**
 * Starts test/support/rest-server-main.ts (ingest and health) as a child process
 * and reads its memory from /proc, so a test can bound what one request costs the
 * server. Children left running are killed when this process exits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { PROJECT_ROOT } from "./test-databases";

export interface RestServerProcess {
  readonly url: string;
  /** Resident memory now and its peak since the process started (VmRSS, VmHWM), MiB. */
  memoryMiB(): { residentMiB: number; peakResidentMiB: number };
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

export async function spawnRestServer(databaseUrl: string, startTimeoutMs = 60_000): Promise<RestServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/rest-server-main.ts"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => (running.delete(child), resolve())));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  let timer: NodeJS.Timeout | undefined;
  const port = await Promise.race([
    new Promise<number>((resolve) => {
      let pending = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        pending += chunk.toString();
        const match = /^listening (\d+)$/m.exec(pending);
        if (match) resolve(Number(match[1]));
      });
    }),
    exited.then(() => Promise.reject(new Error(`REST server exited before listening: ${stderr.slice(-2000)}`))),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`REST server not listening after ${startTimeoutMs} ms: ${stderr.slice(-2000)}`)), startTimeoutMs))),
  ]).catch((error: Error) => {
    child.kill("SIGKILL");
    throw error;
  });
  clearTimeout(timer);
  return {
    url: `http://127.0.0.1:${port}`,
    memoryMiB: () => ({ residentMiB: statusKiB(child.pid!, "VmRSS") / 1024, peakResidentMiB: statusKiB(child.pid!, "VmHWM") / 1024 }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
