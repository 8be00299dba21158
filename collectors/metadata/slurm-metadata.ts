/**
 * Slurm job metadata on the node: runs `scontrol show job -o ID` (the
 * controller knows running jobs; cheapest) and, when configured or when
 * scontrol no longer knows the job, `sacct --json -j ID` (the accounting
 * database). Commands run through execFile with an argument array (no shell:
 * a job id never reaches one) and a timeout. Answers are cached per job id:
 * a job's account, QOS and comment are fixed once it runs, and a node sees few
 * jobs, so one command per job and TTL is the whole cost.
 */
import { execFile } from "node:child_process";
import { parseSacctJson, parseScontrolJob, type SlurmJobMetadata } from "./slurm-jobs";

export type SlurmMetadataMode = "scontrol" | "sacct";

export interface SlurmMetadataConfig {
  /** scontrol first (then sacct for jobs it no longer knows), or sacct only. */
  mode: SlurmMetadataMode;
  cacheTtlMs: number;
  timeoutMs: number;
  /** Command names or paths (default scontrol, sacct from PATH). */
  scontrol?: string;
  sacct?: string;
}

/** Runs a command with arguments; resolves its stdout, rejects with its stderr. */
export type RunCommand = (command: string, args: readonly string[], options: { timeoutMs: number; signal?: AbortSignal }) => Promise<string>;

export const runCommand: RunCommand = (command, args, options) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: options.timeoutMs, signal: options.signal, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const detail = String(stderr).trim() || error.message;
        reject(new Error(`${command} ${args.join(" ")}: ${detail}`));
        return;
      }
      resolve(String(stdout));
    });
  });

interface CacheEntry {
  job: SlurmJobMetadata | null;
  atMs: number;
}

export class SlurmJobCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<SlurmJobMetadata | null>>();
  runs = 0;

  constructor(
    private readonly config: SlurmMetadataConfig,
    private readonly deps: { now: () => number; run?: RunCommand; log?: (line: string) => void },
  ) {}

  /** Metadata of each job id asked for; a job neither command knows is absent. */
  async lookup(jobIds: readonly string[], signal?: AbortSignal): Promise<Map<string, SlurmJobMetadata>> {
    const found = new Map<string, SlurmJobMetadata>();
    await Promise.all(
      [...new Set(jobIds)].map(async (jobId) => {
        const job = await this.get(jobId, signal);
        if (job) found.set(jobId, job);
      }),
    );
    return found;
  }

  /** What the cache holds about these jobs, without running a command. */
  known(jobIds: readonly string[]): Map<string, SlurmJobMetadata> {
    const found = new Map<string, SlurmJobMetadata>();
    for (const jobId of jobIds) {
      const job = this.entries.get(jobId)?.job;
      if (job) found.set(jobId, job);
    }
    return found;
  }

  private get(jobId: string, signal?: AbortSignal): Promise<SlurmJobMetadata | null> {
    const entry = this.entries.get(jobId);
    const nowMs = this.deps.now();
    // A job not found (or a failed command) is asked again sooner: it may just have been submitted.
    const ttlMs = entry?.job ? this.config.cacheTtlMs : this.config.cacheTtlMs / 4;
    if (entry && nowMs - entry.atMs < ttlMs) return Promise.resolve(entry.job);
    let pending = this.pending.get(jobId);
    if (!pending) {
      pending = this.fetch(jobId, signal)
        .catch((error: Error) => {
          this.deps.log?.(`slurm metadata: ${error.message}`);
          return entry?.job ?? null;
        })
        .then((job) => {
          this.entries.set(jobId, { job, atMs: this.deps.now() });
          this.forgetOld();
          return job;
        })
        .finally(() => this.pending.delete(jobId));
      this.pending.set(jobId, pending);
    }
    return pending;
  }

  private async fetch(jobId: string, signal?: AbortSignal): Promise<SlurmJobMetadata | null> {
    if (!/^\d+$/.test(jobId)) return null;
    const run = this.deps.run ?? runCommand;
    const options = { timeoutMs: this.config.timeoutMs, signal };
    if (this.config.mode === "scontrol") {
      const scontrol = this.config.scontrol ?? "scontrol";
      this.runs += 1;
      let output: string;
      try {
        output = await run(scontrol, ["show", "job", "-o", jobId], options);
      } catch (error) {
        // A job that ended falls out of slurmctld's memory (MinJobAge): ask the database.
        if (!/Invalid job id/i.test((error as Error).message)) throw error;
        output = "";
      }
      const job = output ? parseScontrolJob(output, jobId, `${scontrol} show job -o ${jobId}`) : null;
      if (job) return job;
    }
    const sacct = this.config.sacct ?? "sacct";
    this.runs += 1;
    const output = await run(sacct, ["--json", "-j", jobId], options);
    return parseSacctJson(output, jobId, `${sacct} --json -j ${jobId}`);
  }

  /** Keeps the cache bounded on a long-lived node: entries unused for 10 TTLs go. */
  private forgetOld(): void {
    const nowMs = this.deps.now();
    for (const [jobId, entry] of this.entries) if (nowMs - entry.atMs > 10 * this.config.cacheTtlMs) this.entries.delete(jobId);
  }
}
