/**
 * Starts test/support/ingest-server-main.ts as a child process (node --import tsx:
 * one pid, so SIGKILL hits the server itself) and follows what it prints. Every
 * child is remembered so a suite's afterAll (or this process's exit) kills what
 * a failing test left running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { PROJECT_ROOT } from "./test-databases";

export interface IngestServerProcess {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** Requests received and answered so far, and their statuses. */
  readonly received: number;
  readonly statuses: readonly number[];
  /** Requests received and not answered yet. */
  readonly inFlight: number;
  /** What the process wrote to stderr. */
  stderr(): string;
  /** Sends `signal` and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function spawnIngestServer(options: {
  databaseUrl: string;
  port: number;
  responseDelayMs?: number;
  startTimeoutMs?: number;
  /** Oldest window start accepted, days before the server's clock (default: the server's, 14). */
  maxAgeDays?: number;
}): Promise<IngestServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/ingest-server-main.ts"], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      PORT: String(options.port),
      GPU_ROI_TEST_RESPONSE_DELAY_MS: String(options.responseDelayMs ?? 0),
      ...(options.maxAgeDays === undefined ? {} : { GPU_ROI_INGEST_MAX_AGE_DAYS: String(options.maxAgeDays) }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      running.delete(child);
      resolve();
    }),
  );
  let stderr = "";
  let received = 0;
  const statuses: number[] = [];
  let listening: (port: number) => void = () => undefined;
  const ready = new Promise<number>((resolve) => (listening = resolve));
  let pending = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line === "received") received += 1;
      else if (line.startsWith("answered ")) statuses.push(Number(line.slice("answered ".length)));
      else if (line.startsWith("listening ")) listening(Number(line.slice("listening ".length)));
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const port = await Promise.race([
    ready,
    exited.then(() => Promise.reject(new Error(`ingest server exited before listening: ${stderr.slice(-2000)}`))),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`ingest server not listening after ${timeoutMs} ms: ${stderr.slice(-2000)}`)), timeoutMs))),
  ]).catch((error: Error) => {
    child.kill("SIGKILL");
    throw error;
  });
  clearTimeout(timer);

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    get received() {
      return received;
    },
    statuses,
    get inFlight() {
      return received - statuses.length;
    },
    stderr: () => stderr,
    async kill(signal: NodeJS.Signals) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Kills every ingest server child still running (for afterAll). */
export async function killIngestServers(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}
