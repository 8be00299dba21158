/**
 * Reads the work counters of an inference server's Prometheus /metrics page:
 * how many prompt tokens, generated tokens and requests it has served since it
 * started. vLLM, Hugging Face TGI, NVIDIA Triton and SGLang are recognised by
 * their metric names; the exposition text is parsed by the same parser as
 * dcgm-exporter's.
 *
 * A counter the server does not export is absent (null), never 0: a server that
 * exports no request counter has not served zero requests. A malformed line is
 * a CaptureParseError naming the endpoint, the line and the metric.
 */
import type { z } from "zod";
import type { workSourceSchema } from "../../server/wire/ingest-v1";
import { parsePrometheusText, type PrometheusSample } from "../sources/dcgm-exporter";
import { CaptureParseError } from "../sources/parse-values";

export type WorkSource = z.infer<typeof workSourceSchema>;
export type InferenceServer = Exclude<WorkSource, "report">;
export type InferenceUnit = "prompt_tokens" | "generation_tokens" | "requests" | "inferences";

/** One cumulative counter of one server, summed over its label sets (models, finish reasons, engines). */
export interface InferenceCounter {
  unit: InferenceUnit;
  /** Cumulative since the server started; null when the server does not export it. */
  value: number | null;
}

export interface InferenceMetrics {
  /** null: no metric of a known inference server on the page. */
  server: InferenceServer | null;
  counters: InferenceCounter[];
}

/**
 * Which metric counts which unit, per server. Several names for one unit are
 * alternatives, first found wins (servers renamed metrics between versions).
 * TGI has no token counters: its per-request histograms' _sum grow by each
 * finished request's tokens, which is the same cumulative count. Triton's
 * nv_inference_exec_count counts batch executions, a measure of batching rather
 * than of work served, so it is not read; nv_inference_count (a batch of n is n
 * inferences) is reported as the custom unit "inferences".
 */
const COUNTERS: Record<InferenceServer, { prefix: string; units: Partial<Record<InferenceUnit, readonly string[]>> }> = {
  vllm: {
    prefix: "vllm:",
    units: {
      prompt_tokens: ["vllm:prompt_tokens_total"],
      generation_tokens: ["vllm:generation_tokens_total"],
      requests: ["vllm:request_success_total"],
    },
  },
  sglang: {
    prefix: "sglang:",
    units: {
      prompt_tokens: ["sglang:prompt_tokens_total"],
      generation_tokens: ["sglang:generation_tokens_total"],
      requests: ["sglang:num_requests_total", "sglang:e2e_request_latency_seconds_count"],
    },
  },
  tgi: {
    prefix: "tgi_",
    units: {
      prompt_tokens: ["tgi_request_input_length_sum"],
      generation_tokens: ["tgi_request_generated_tokens_sum"],
      requests: ["tgi_request_success", "tgi_request_success_total"],
    },
  },
  triton: {
    prefix: "nv_inference_",
    units: {
      requests: ["nv_inference_request_success"],
      inferences: ["nv_inference_count"],
    },
  },
};

const SERVERS = Object.keys(COUNTERS) as InferenceServer[];

/** The server whose metric prefix appears first on the page. */
function detectServer(samples: readonly PrometheusSample[]): InferenceServer | null {
  for (const sample of samples) {
    const server = SERVERS.find((candidate) => sample.name.startsWith(COUNTERS[candidate].prefix));
    if (server) return server;
  }
  return null;
}

/** Sum of a metric over its label sets; null when the page has no sample of it or only non-finite ones. */
function sumOf(samples: readonly PrometheusSample[], name: string): number | null {
  let total: number | null = null;
  for (const sample of samples) {
    if (sample.name !== name || !Number.isFinite(sample.value)) continue;
    total = (total ?? 0) + sample.value;
  }
  return total;
}

/**
 * Parses one /metrics page. `endpoint` names it in errors (the URL scraped).
 * Negative counter values are malformed (a counter never goes below zero).
 */
export function parseInferenceMetrics(text: string, endpoint: string): InferenceMetrics {
  const samples = parsePrometheusText(text, endpoint);
  const server = detectServer(samples);
  if (server === null) return { server: null, counters: [] };
  const counters: InferenceCounter[] = [];
  for (const [unit, names] of Object.entries(COUNTERS[server].units) as [InferenceUnit, readonly string[]][]) {
    let value: number | null = null;
    for (const name of names) {
      value = sumOf(samples, name);
      if (value !== null) break;
    }
    counters.push({ unit, value });
  }
  for (const sample of samples) {
    const counted = Object.values(COUNTERS[server].units).some((names) => names?.includes(sample.name));
    if (counted && sample.value < 0) {
      throw new CaptureParseError({ source: endpoint, line: sample.line, field: sample.name }, `counter is negative (${sample.value})`);
    }
  }
  return { server, counters };
}
