/**
 * WAL checkpoints of the embedded SQLite database, in a worker thread.
 *
 * Why: better-sqlite3 is synchronous, so a checkpoint run by a commit (SQLite's
 * automatic one, every 1,000 WAL pages) copies pages back into the database file
 * and fsyncs both files on the server's only JavaScript thread: every request
 * waits meanwhile, and during ingest the commits spend about half their time
 * there (docs/benchmarks.md, ingest). A second connection in a worker thread
 * runs PASSIVE checkpoints instead, a few times a second: they never block the
 * writer or readers, and the fsyncs happen off the event loop.
 *
 * The main connection keeps an automatic checkpoint at a much larger WAL size
 * (SAFETY_NET_WAL_PAGES) in case the worker falls behind or stops.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";

/** Automatic checkpoint threshold of the main connection while the worker runs (pages of 4 KiB: 64 MiB). */
export const SAFETY_NET_WAL_PAGES = 16_384;
/** Pause between two checkpoints, ms. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 250;

// Plain JavaScript run with `eval`: no bundler or TypeScript loader reaches a worker.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driverPath);
const db = new Database(workerData.filePath);
db.pragma("busy_timeout = 1000");
let stopped = false;
function checkpoint() {
  if (stopped) return;
  try {
    const [result] = db.pragma("wal_checkpoint(PASSIVE)");
    if (result && result.checkpointed > 0) parentPort.postMessage({ checkpointedPages: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message) });
  }
  setTimeout(checkpoint, workerData.intervalMs);
}
setTimeout(checkpoint, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message !== "stop") return;
  stopped = true;
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

export interface SqliteCheckpointer {
  /** WAL pages copied into the database file so far (a page counts again each time it is checkpointed). */
  readonly checkpointedPages: number;
  stop(): Promise<void>;
}

/**
 * Starts the checkpoint worker for the database file; null when it cannot run
 * here (the driver cannot be resolved from the working directory), in which case
 * SQLite's automatic checkpoints stay as they are.
 */
export function startSqliteCheckpointer(
  filePath: string,
  options: { intervalMs?: number; log?: (line: string) => void } = {},
): SqliteCheckpointer | null {
  let driverPath: string;
  try {
    driverPath = createRequire(path.join(process.cwd(), "package.json")).resolve("better-sqlite3");
  } catch {
    return null;
  }
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driverPath, filePath, intervalMs: options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS },
  });
  // The worker must not keep the process alive on its own.
  worker.unref();
  let checkpointedPages = 0;
  let lastError = "";
  worker.on("message", (message: { checkpointedPages?: number; error?: string }) => {
    if (message.checkpointedPages) checkpointedPages += message.checkpointedPages;
    if (message.error && message.error !== lastError) {
      lastError = message.error;
      options.log?.(`sqlite checkpointer: ${message.error}`);
    }
  });
  worker.on("error", (error) => options.log?.(`sqlite checkpointer stopped: ${error.message}`));
  return {
    get checkpointedPages() {
      return checkpointedPages;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once("exit", done);
        worker.on("message", (message: { stopped?: boolean }) => {
          if (message.stopped) void worker.terminate();
        });
        worker.postMessage("stop");
        // A worker that no longer answers is terminated after a second.
        setTimeout(() => void worker.terminate(), 1000).unref();
      });
    },
  };
}
