import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueNodeToken } from "../../server/services/node-tokens";
import { startHttpIngestServer, type HttpIngestServer } from "../support/http-ingest-server";
import { createSqliteTestDatabase, PROJECT_ROOT, type TestDatabase } from "../support/test-databases";

const HOSTNAME = "sim-kill-node";
const GPUS = 8;
const WINDOW_MS = 1000;

interface Collector {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

/** Starts `collector run` as a process of its own (node --import tsx: one pid, so SIGKILL hits the collector itself). */
function startCollector(serverUrl: string, token: string, spoolDir: string): Collector {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "collectors/cli.ts", "run", "--source", "simulator", "--interval", "100ms", "--window", "1s", "--metrics-port", "0"],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, GPU_ROI_SERVER: serverUrl, GPU_ROI_TOKEN: token, GPU_ROI_SPOOL_DIR: spoolDir, GPU_ROI_HOSTNAME: HOSTNAME },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let text = "";
  child.stderr?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, log: () => text, exited };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Window starts of the batches a collector says it spooled. */
function spooledStarts(log: string): number[] {
  return [...log.matchAll(/spooled batch \S+: \d+ GPU and \d+ job windows, starts (\[[\d,]*\])/g)].flatMap((match) => JSON.parse(match[1]) as number[]);
}

const spooledBatchFiles = (dir: string) => fs.readdirSync(dir).filter((name) => name.endsWith(".json"));

describe("collector killed with SIGKILL mid-send", () => {
  let db: TestDatabase;
  let server: HttpIngestServer;
  let spoolDir: string;
  let token: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createSqliteTestDatabase();
    token = (await issueNodeToken(db.prisma, { clusterName: "sim", hostname: HOSTNAME, nowMs: Date.now() })).token;
    // Stores each batch, then holds the acknowledgement back: a kill then lands after the write, before the ack.
    server = await startHttpIngestServer(db.sql, { responseDelayMs: 400 });
    spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-spool-kill-"));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await server?.stop();
    await db?.dispose();
    fs.rmSync(spoolDir, { recursive: true, force: true });
  });

  it("stores every spooled window exactly once after a restart on the same spool", async () => {
    // 1. First run: kill it while a send is in flight, with batches still spooled.
    const first = startCollector(server.url, token, spoolDir);
    children.push(first.child);
    await waitFor("3 spooled batches and a send in flight", () => spooledStarts(first.log()).length >= 3 && server.inFlight > 0);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBeNull();
    expect(spooledBatchFiles(spoolDir).length).toBeGreaterThanOrEqual(1);

    // 2. Second run on the same spool: resumes the unacknowledged batch, then collects on.
    server.responseDelayMs = 0;
    const second = startCollector(server.url, token, spoolDir);
    children.push(second.child);
    await waitFor("3 new batches, all delivered", () => spooledStarts(second.log()).length >= 3 && spooledBatchFiles(spoolDir).length === 0);
    expect(second.log()).toMatch(/spool: resuming \d+ batch/);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(spooledBatchFiles(spoolDir)).toEqual([]);

    // 3. The server holds each window either run spooled, once, for every GPU, and nothing else.
    const firstStarts = spooledStarts(first.log());
    const secondStarts = spooledStarts(second.log());
    for (const starts of [firstStarts, secondStarts]) {
      for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBe(WINDOW_MS);
    }
    const expected = [...firstStarts, ...secondStarts];
    expect(new Set(expected).size).toBe(expected.length);
    const rows = await db.sql.query<{ start_ms: number | bigint; gpus: number | bigint; n: number | bigint }>(
      `SELECT start_ms, COUNT(DISTINCT gpu_id) AS gpus, COUNT(*) AS n FROM gpu_usage_window GROUP BY start_ms ORDER BY start_ms`,
    );
    expect(rows.map((row) => Number(row.start_ms))).toEqual([...expected].sort((a, b) => a - b));
    expect(rows.every((row) => Number(row.gpus) === GPUS && Number(row.n) === GPUS)).toBe(true);
    const [duplicates] = await db.sql.query<{ n: number | bigint }>(
      `SELECT COUNT(*) AS n FROM (SELECT gpu_id, start_ms FROM gpu_usage_window GROUP BY gpu_id, start_ms HAVING COUNT(*) > 1) d`,
    );
    expect(Number(duplicates.n)).toBe(0);
  });
});
