/**
 * The collector's on-disk spool: every batch is written to its own file before
 * it is sent, and removed only once the server acknowledged it (2xx). A batch
 * therefore survives a server outage, a collector restart and `kill -9`.
 *
 * Layout of the spool directory:
 *   <seq>-<batchId>.json   batches waiting, sent oldest (lowest seq) first
 *   .<name>.tmp            a batch being written; left over only by a crash, removed on open
 *   rejected/              batches the server refused (4xx): kept for inspection, never retried
 *
 * Writes are crash-safe: write the temp file, fsync it, rename it into place,
 * fsync the directory. A file with a final name is therefore complete.
 *
 * The spool is bounded by bytes (default 256 MiB): when a new batch would exceed
 * the bound, the oldest batches are dropped, counted and logged.
 */
import fs from "node:fs";
import path from "node:path";
import type { IngestBatch } from "../server/wire/ingest-v1";
import { httpFetch, type HttpFetch } from "./http-fetch";
import { canMerge, mergeBatches } from "./merge-batches";
import { IngestDeferredError, IngestRejectedError, sendBatch } from "./send";

export const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;
const BATCH_FILE = /^(\d{12})-([0-9a-f-]{36})\.json$/;

export interface SpoolEntry {
  /** File name inside the spool directory. */
  name: string;
  seq: number;
  batchId: string;
  sizeBytes: number;
}

export interface SpoolEvents {
  /** Batches dropped because the spool was full. */
  onDropped?: (count: number) => void;
  onRejected?: () => void;
}

export interface SpoolOptions {
  maxBytes?: number;
  log?: (line: string) => void;
  events?: SpoolEvents;
}

function fsyncDirectory(dir: string): void {
  // Makes the rename durable. Some file systems refuse fsync on a directory: the rename still happened.
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

function writeDurably(dir: string, name: string, content: Buffer): void {
  const tempPath = path.join(dir, `.${name}.tmp`);
  const fd = fs.openSync(tempPath, "w");
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tempPath, path.join(dir, name));
  fsyncDirectory(dir);
}

export class Spool {
  readonly maxBytes: number;
  readonly rejectedDir: string;
  private readonly entries: SpoolEntry[] = [];
  private nextSeq = 1;
  private totalBytes = 0;
  private readonly log: (line: string) => void;
  private readonly events: SpoolEvents;
  private readonly listeners = new Set<() => void>();
  /** Totals since this process opened the spool. */
  droppedCount = 0;
  rejectedCount = 0;

  /**
   * Opens (creating) the spool directory. Leftover temp files of a crashed write
   * are removed; complete batch files are queued in sequence order.
   */
  constructor(
    readonly dir: string,
    options: SpoolOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.log = options.log ?? (() => undefined);
    this.events = options.events ?? {};
    this.rejectedDir = path.join(dir, "rejected");
    fs.mkdirSync(this.rejectedDir, { recursive: true });
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      if (name.endsWith(".tmp")) {
        fs.rmSync(full, { force: true });
        continue;
      }
      const match = BATCH_FILE.exec(name);
      if (!match) continue;
      const seq = Number(match[1]);
      const sizeBytes = fs.statSync(full).size;
      this.entries.push({ name, seq, batchId: match[2], sizeBytes });
      this.totalBytes += sizeBytes;
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    }
    this.entries.sort((a, b) => a.seq - b.seq);
    if (this.entries.length > 0) this.log(`spool: resuming ${this.entries.length} batch(es), ${this.totalBytes} bytes, from ${dir}`);
  }

  get depth(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Batches waiting, oldest first. */
  list(): readonly SpoolEntry[] {
    return this.entries;
  }

  /** Calls `listener` whenever a batch is added; returns the unsubscribe function. */
  onAdded(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes the batch durably, then drops the oldest batches while over the bound. */
  put(batch: IngestBatch): SpoolEntry {
    const seq = this.nextSeq++;
    const name = `${String(seq).padStart(12, "0")}-${batch.batchId}.json`;
    const content = Buffer.from(JSON.stringify(batch));
    writeDurably(this.dir, name, content);
    const entry: SpoolEntry = { name, seq, batchId: batch.batchId, sizeBytes: content.length };
    this.entries.push(entry);
    this.totalBytes += entry.sizeBytes;
    let dropped = 0;
    // The newest batch is kept even when it alone exceeds the bound.
    while (this.totalBytes > this.maxBytes && this.entries.length > 1) {
      const oldest = this.entries[0];
      this.delete(oldest);
      dropped += 1;
    }
    if (dropped > 0) {
      this.droppedCount += dropped;
      this.events.onDropped?.(dropped);
      this.log(
        `SPOOL FULL: dropped the ${dropped} oldest batch(es) (${this.droppedCount} since start); the spool holds ${this.totalBytes} of ${this.maxBytes} bytes. The server has been unreachable too long: these windows are lost.`,
      );
    }
    for (const listener of this.listeners) listener();
    return entry;
  }

  /** The batch of an entry; null when the entry was dropped meanwhile or its file is unreadable. */
  read(entry: SpoolEntry): IngestBatch | null {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, entry.name), "utf8")) as IngestBatch;
    } catch {
      return null;
    }
  }

  /** Removes an acknowledged (or unreadable) batch. */
  remove(entry: SpoolEntry): void {
    this.delete(entry);
  }

  /** Moves a batch the server refused to rejected/, with the reason next to it. */
  reject(entry: SpoolEntry, reason: string): void {
    const index = this.entries.indexOf(entry);
    if (index < 0) return;
    this.entries.splice(index, 1);
    this.totalBytes -= entry.sizeBytes;
    try {
      fs.renameSync(path.join(this.dir, entry.name), path.join(this.rejectedDir, entry.name));
      fs.writeFileSync(path.join(this.rejectedDir, `${entry.name}.reason.txt`), `${reason}\n`);
      fsyncDirectory(this.dir);
    } catch {
      /* already gone */
    }
    this.rejectedCount += 1;
    this.events.onRejected?.();
    this.log(`spool: the server refused batch ${entry.batchId}; moved to ${this.rejectedDir} (${reason})`);
  }

  private delete(entry: SpoolEntry): void {
    const index = this.entries.indexOf(entry);
    if (index < 0) return;
    this.entries.splice(index, 1);
    this.totalBytes -= entry.sizeBytes;
    fs.rmSync(path.join(this.dir, entry.name), { force: true });
  }
}

export interface SpoolSenderOptions {
  serverUrl: string;
  token: string;
  /** Delay before the first retry (default 500 ms); doubles per failure up to maxBackoffMs. */
  initialBackoffMs?: number;
  /** Longest delay between retries (default 60 s). */
  maxBackoffMs?: number;
  /** Limit on one request (default 30 s). */
  requestTimeoutMs?: number;
  /**
   * When several batches wait (catching up after an outage), up to this many are
   * merged into one request (default 60: an hour of 60 s windows). 1 sends each
   * batch alone.
   */
  maxBatchesPerRequest?: number;
  /** Bound on the spooled JSON bytes merged into one request (default 4 MiB; the server takes 16 MiB). */
  maxRequestBytes?: number;
  fetchImpl?: HttpFetch;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  log?: (line: string) => void;
  events?: {
    onSent?: (entry: SpoolEntry) => void;
    /** An attempt failed and will be retried. */
    onSendFailed?: (problem: string) => void;
  };
}

/** Defaults of SpoolSenderOptions.maxBatchesPerRequest and maxRequestBytes. */
export const DEFAULT_MAX_BATCHES_PER_REQUEST = 60;
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/**
 * Sends spooled batches oldest first, forever: while the server is down it
 * retries with exponential backoff and full jitter (the delay is random in
 * [backoff/2, backoff]), so a fleet of collectors does not hammer a server that
 * comes back. When several batches wait, consecutive ones are merged into one
 * request (merge-batches.ts). A 4xx other than 408/429 moves the batch to
 * rejected/; a merged request refused that way is sent again batch by batch,
 * so only the batch at fault is set aside.
 */
export class SpoolSender {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** True while waiting for a batch on an empty spool: only then does a new batch wake the loop. */
  private idle = false;
  private unsubscribe: (() => void) | null = null;
  private backoffMs: number;
  sentCount = 0;
  failedCount = 0;

  constructor(
    private readonly spool: Spool,
    private readonly options: SpoolSenderOptions,
  ) {
    this.backoffMs = options.initialBackoffMs ?? 500;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.spool.onAdded(() => {
      if (this.idle) this.wake?.();
    });
    this.loop = this.run();
  }

  /** Stops after the request in flight, if any, ends. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
  }

  /** Waits until the spool is empty or `timeoutMs` passed; true when empty. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.spool.depth > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.spool.depth === 0;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    const log = this.options.log ?? (() => undefined);
    const initialBackoffMs = this.options.initialBackoffMs ?? 500;
    const maxBackoffMs = this.options.maxBackoffMs ?? 60_000;
    const random = this.options.random ?? Math.random;
    const baseFetch = this.options.fetchImpl ?? httpFetch;
    const requestTimeoutMs = this.options.requestTimeoutMs ?? 30_000;
    const fetchImpl: HttpFetch = (input, init) => baseFetch(input, { ...init, signal: AbortSignal.timeout(requestTimeoutMs) });
    const maxBatchesPerRequest = Math.max(1, this.options.maxBatchesPerRequest ?? DEFAULT_MAX_BATCHES_PER_REQUEST);
    const maxRequestBytes = this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    /** Batches up to this spool sequence number go alone: a merged request with them was refused. */
    let aloneThroughSeq = -1;
    while (this.running) {
      const group = this.nextGroup(maxBatchesPerRequest, maxRequestBytes, aloneThroughSeq, log);
      if (group === null) continue;
      if (group.length === 0) {
        this.idle = true;
        await this.pause(60_000);
        this.idle = false;
        continue;
      }
      const entries = group.map((item) => item.entry);
      const what = entries.length === 1 ? `batch ${entries[0].batchId}` : `${entries.length} merged batches (${entries[0].batchId} to ${entries[entries.length - 1].batchId})`;
      try {
        await sendBatch(mergeBatches(group.map((item) => item.batch)), { serverUrl: this.options.serverUrl, token: this.options.token, fetchImpl, maxAttempts: 1 });
        for (const entry of entries) {
          this.spool.remove(entry);
          this.sentCount += 1;
          this.options.events?.onSent?.(entry);
        }
        this.backoffMs = initialBackoffMs;
      } catch (error) {
        if (error instanceof IngestRejectedError) {
          if (entries.length === 1) this.spool.reject(entries[0], error.message);
          else {
            log(`send: the server refused ${what} (${error.message}); sending them one by one`);
            aloneThroughSeq = entries[entries.length - 1].seq;
          }
          continue;
        }
        this.failedCount += 1;
        const problem = (error as Error).message;
        this.options.events?.onSendFailed?.(problem);
        // A Retry-After from the server (503 while its database is down) is a
        // floor on the pause, within maxBackoffMs.
        const serverAskedMs = error instanceof IngestDeferredError ? Math.min(error.retryAfterMs ?? 0, maxBackoffMs) : 0;
        const delayMs = Math.max(serverAskedMs, Math.round(this.backoffMs / 2 + (random() * this.backoffMs) / 2));
        log(`send: ${what} not delivered (${problem}); ${this.spool.depth} batch(es) spooled, retrying in ${delayMs} ms`);
        this.backoffMs = Math.min(this.backoffMs * 2, maxBackoffMs);
        // A new batch does not cut the backoff short (idle is false); stop() does.
        await this.pause(delayMs);
      }
    }
  }

  /**
   * The oldest waiting batches that go in one request: [] when the spool is
   * empty, null when an unreadable file was removed (look again). A group is
   * consecutive batches of one node within both bounds; the first batch always
   * goes, however large.
   */
  private nextGroup(
    maxBatches: number,
    maxBytes: number,
    aloneThroughSeq: number,
    log: (line: string) => void,
  ): { entry: SpoolEntry; batch: IngestBatch }[] | null {
    const group: { entry: SpoolEntry; batch: IngestBatch }[] = [];
    let bytes = 0;
    for (const entry of this.spool.list()) {
      if (group.length > 0 && (group.length >= maxBatches || bytes + entry.sizeBytes > maxBytes || entry.seq <= aloneThroughSeq)) break;
      const batch = this.spool.read(entry);
      if (batch === null) {
        if (group.length > 0) break;
        log(`spool: batch file ${entry.name} is unreadable; removing it`);
        this.spool.remove(entry);
        return null;
      }
      if (group.length > 0 && !canMerge(group[0].batch, batch)) break;
      group.push({ entry, batch });
      bytes += entry.sizeBytes;
      if (entry.seq <= aloneThroughSeq) break;
    }
    return group;
  }
}
