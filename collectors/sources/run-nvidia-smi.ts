/**
 * Polls nvidia-smi on the node. Each poll runs, with a timeout:
 *   nvidia-smi --query-gpu=<fields>,mig.mode.current --format=csv,noheader,nounits
 *   nvidia-smi --query-compute-apps=<fields> --format=csv,noheader,nounits
 * and, only on GPUs with MIG enabled (where --query-gpu has no per-instance
 * figures), `nvidia-smi -q -x` instead, which lists MIG devices and their processes;
 * and, only when a GPU runs several processes, `nvidia-smi pmon -c 1 -s u` for each
 * process's SM utilization, which splits the shared GPU's cost by use.
 * Parsing is in nvidia-smi-csv.ts / nvidia-smi-xml.ts / nvidia-smi-pmon.ts; this
 * file only runs commands, through one long-lived shell (shell-runner.ts).
 */
import { execFile } from "node:child_process";
import { parsePmon, pmonKey } from "./nvidia-smi-pmon";
import type { GpuSource, SourcePoll } from "../agent";
import {
  DEFAULT_COMPUTE_APPS_QUERY_FIELDS,
  DEFAULT_GPU_QUERY_FIELDS,
  MIG_MODE_QUERY_FIELD,
  parseComputeAppsCsv,
  parseQueryGpuCsv,
} from "./nvidia-smi-csv";
import { parseNvidiaSmiXml } from "./nvidia-smi-xml";
import { defaultCommandRunner } from "./shell-runner";
import type { ParsedGpu } from "./parse-values";

/** Runs a command and resolves with its stdout; rejects on a non-zero exit or the timeout. */
export type CommandRunner = (file: string, args: readonly string[], options: { timeoutMs: number; signal?: AbortSignal }) => Promise<string>;

export const execFileRunner: CommandRunner = (file, args, options) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: options.timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024, signal: options.signal, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${file} ${args.join(" ")}: ${error.message}${stderr ? ` (${stderr.trim().slice(0, 300)})` : ""}`));
        else resolve(stdout);
      },
    );
  });

export interface NvidiaSmiSourceOptions {
  /** Path of nvidia-smi (default: found on PATH). */
  command?: string;
  /** Limit on each nvidia-smi call (default 5 s): a hung driver must not hang the collector. */
  timeoutMs?: number;
  run?: CommandRunner;
}

export function nvidiaSmiSource(options: NvidiaSmiSourceOptions = {}): GpuSource {
  const command = options.command ?? "nvidia-smi";
  const timeoutMs = options.timeoutMs ?? 5000;
  const run = options.run ?? defaultCommandRunner(execFileRunner);
  // Drivers before R450 do not know mig.mode.current and fail the whole query; learnt on the first poll.
  let migFieldSupported = true;

  const queryGpus = async (signal?: AbortSignal): Promise<{ gpus: ParsedGpu[]; migEnabled: boolean }> => {
    const fields = migFieldSupported ? [...DEFAULT_GPU_QUERY_FIELDS, MIG_MODE_QUERY_FIELD] : [...DEFAULT_GPU_QUERY_FIELDS];
    let text: string;
    try {
      text = await run(command, [`--query-gpu=${fields.join(",")}`, "--format=csv,noheader,nounits"], { timeoutMs, signal });
    } catch (error) {
      if (migFieldSupported && /not a valid field|Field .* is not/i.test((error as Error).message)) {
        migFieldSupported = false;
        return queryGpus(signal);
      }
      throw error;
    }
    const migEnabled = migFieldSupported && text.split("\n").some((line) => /,\s*Enabled\s*$/i.test(line));
    return { gpus: parseQueryGpuCsv(text, { source: "nvidia-smi --query-gpu", fields }), migEnabled };
  };

  return {
    name: "nvidia-smi",
    async poll(_atMs: number, signal?: AbortSignal): Promise<SourcePoll> {
      const { gpus, migEnabled } = await queryGpus(signal);
      if (migEnabled) {
        const xml = await run(command, ["-q", "-x"], { timeoutMs, signal });
        return { kind: "parsed", gpus: parseNvidiaSmiXml(xml, "nvidia-smi -q -x").gpus };
      }
      const appsText = await run(command, [`--query-compute-apps=${DEFAULT_COMPUTE_APPS_QUERY_FIELDS.join(",")}`, "--format=csv,noheader,nounits"], {
        timeoutMs,
        signal,
      });
      const apps = parseComputeAppsCsv(appsText, { source: "nvidia-smi --query-compute-apps", fields: [...DEFAULT_COMPUTE_APPS_QUERY_FIELDS] });
      for (const app of apps) {
        const gpu = gpus.find((candidate) => candidate.uuid === app.gpuUuid);
        // A process on a GPU the first query did not list (hot-plug, race): it is seen next poll.
        gpu?.processes.push({ pid: app.pid, name: app.name, memoryUsedMiB: app.memoryUsedMiB });
      }
      // Only shared GPUs need each process's utilization (to split their cost), and
      // pmon samples for about a second, so it runs only when a GPU is shared. A
      // failed pmon costs the split its precision (memory share), not the poll.
      if (gpus.some((gpu) => gpu.processes.length >= 2)) {
        try {
          const pmon = parsePmon(await run(command, ["pmon", "-c", "1", "-s", "u"], { timeoutMs, signal }), "nvidia-smi pmon");
          for (const gpu of gpus) {
            if (gpu.index === null) continue;
            for (const process of gpu.processes) process.utilizationPct = pmon.get(pmonKey(gpu.index, process.pid)) ?? null;
          }
        } catch (error) {
          if (signal?.aborted) throw error;
        }
      }
      return { kind: "parsed", gpus };
    },
  };
}
