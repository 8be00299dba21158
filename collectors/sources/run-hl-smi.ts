/**
 * Polls Intel Gaudi accelerators: each poll runs
 *   hl-smi --query-aip=index,uuid,name,memory.total,memory.used,utilization.aip,power.draw --format=csv,noheader,nounits
 * Parsing is in hl-smi.ts; this file only runs the command.
 */
import type { GpuSource, SourcePoll } from "../agent";
import { HL_SMI_QUERY_FIELDS, parseHlSmiCsv } from "./hl-smi";
import { execFileRunner, type CommandRunner } from "./run-nvidia-smi";
import { defaultCommandRunner } from "./shell-runner";

export interface HlSmiSourceOptions {
  /** Path of hl-smi (default: found on PATH). */
  command?: string;
  /** Limit on each call (default 5 s). */
  timeoutMs?: number;
  run?: CommandRunner;
}

export function hlSmiSource(options: HlSmiSourceOptions = {}): GpuSource {
  const command = options.command ?? "hl-smi";
  const timeoutMs = options.timeoutMs ?? 5000;
  const run = options.run ?? defaultCommandRunner(execFileRunner);
  return {
    name: "hl-smi",
    async poll(_atMs: number, signal?: AbortSignal): Promise<SourcePoll> {
      const text = await run(command, [`--query-aip=${HL_SMI_QUERY_FIELDS.join(",")}`, "--format=csv,noheader,nounits"], { timeoutMs, signal });
      return { kind: "parsed", gpus: parseHlSmiCsv(text, { source: "hl-smi --query-aip", fields: [...HL_SMI_QUERY_FIELDS] }) };
    },
  };
}
