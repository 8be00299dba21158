/**
 * Polls AMD Instinct accelerators. With amd-smi (ROCm 6 and later), each poll runs
 *   amd-smi metric --usage --power --mem-usage --json
 *   amd-smi process --json
 * and the first poll also `amd-smi list --json` (UUIDs) and `amd-smi static
 * --asic --json` (model names), which do not change while the node runs. With
 * rocm-smi (older stacks) one call gives everything but processes. Parsing is
 * in amd-smi.ts; this file only runs commands.
 */
import type { GpuSource, SourcePoll } from "../agent";
import { mergeAmdSmi, parseAmdSmiList, parseAmdSmiMetric, parseAmdSmiProcesses, parseAmdSmiStaticModels, parseRocmSmiJson } from "./amd-smi";
import { execFileRunner, type CommandRunner } from "./run-nvidia-smi";
import { defaultCommandRunner } from "./shell-runner";

export interface AmdSmiSourceOptions {
  /** Path of amd-smi (default: found on PATH). */
  command?: string;
  /** Limit on each call (default 10 s: amd-smi is a Python program and starts slowly). */
  timeoutMs?: number;
  run?: CommandRunner;
}

export function amdSmiSource(options: AmdSmiSourceOptions = {}): GpuSource {
  const command = options.command ?? "amd-smi";
  const timeoutMs = options.timeoutMs ?? 10_000;
  const run = options.run ?? defaultCommandRunner(execFileRunner);
  let identities: { list: ReturnType<typeof parseAmdSmiList>; models: Map<number, string> } | null = null;
  return {
    name: "amd-smi",
    async poll(_atMs: number, signal?: AbortSignal): Promise<SourcePoll> {
      if (identities === null) {
        const list = parseAmdSmiList(await run(command, ["list", "--json"], { timeoutMs, signal }), "amd-smi list --json");
        const models = parseAmdSmiStaticModels(await run(command, ["static", "--asic", "--json"], { timeoutMs, signal }), "amd-smi static --asic --json");
        identities = { list, models };
      }
      const metric = parseAmdSmiMetric(await run(command, ["metric", "--usage", "--power", "--mem-usage", "--json"], { timeoutMs, signal }), "amd-smi metric --json");
      const processes = parseAmdSmiProcesses(await run(command, ["process", "--json"], { timeoutMs, signal }), "amd-smi process --json");
      return { kind: "parsed", gpus: mergeAmdSmi({ ...identities, metric, processes }) };
    },
  };
}

/** The rocm-smi options that print identity, model, utilization, VRAM and power. */
export const ROCM_SMI_ARGS = ["--showuniqueid", "--showproductname", "--showuse", "--showmeminfo", "vram", "--showpower", "--json"] as const;

export function rocmSmiSource(options: AmdSmiSourceOptions = {}): GpuSource {
  const command = options.command ?? "rocm-smi";
  const timeoutMs = options.timeoutMs ?? 10_000;
  const run = options.run ?? defaultCommandRunner(execFileRunner);
  return {
    name: "rocm-smi",
    async poll(_atMs: number, signal?: AbortSignal): Promise<SourcePoll> {
      return { kind: "parsed", gpus: parseRocmSmiJson(await run(command, [...ROCM_SMI_ARGS], { timeoutMs, signal }), "rocm-smi --json") };
    },
  };
}
