/**
 * Polls a dcgm-exporter /metrics endpoint (usually http://localhost:9400/metrics,
 * or the exporter pod on the same node). Parsing is in dcgm-exporter.ts.
 */
import type { GpuSource, SourcePoll } from "../agent";
import { httpFetch, type HttpFetch } from "../http-fetch";
import { parseDcgmExporterText } from "./dcgm-exporter";

export interface DcgmSourceOptions {
  url: string;
  /** Limit on one scrape (default 5 s). */
  timeoutMs?: number;
  fetchImpl?: HttpFetch;
}

export function dcgmExporterSource(options: DcgmSourceOptions): GpuSource {
  const fetchImpl = options.fetchImpl ?? httpFetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    name: "dcgm-exporter",
    async poll(_atMs: number, signal?: AbortSignal): Promise<SourcePoll> {
      const timeout = AbortSignal.timeout(timeoutMs);
      const response = await fetchImpl(options.url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      const text = await response.text();
      if (!response.ok) throw new Error(`dcgm-exporter ${options.url}: HTTP ${response.status}`);
      const result = parseDcgmExporterText(text, options.url);
      return { kind: "parsed", gpus: result.gpus, dcgmDetails: result.gpuDetails };
    },
  };
}
