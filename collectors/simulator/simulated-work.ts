/**
 * The work the simulated fleet does: tokens and requests its inference services
 * serve, samples its training jobs train on, per GPU model. Counters are
 * cumulative since the workload started and computed in closed form (the
 * integral of the daily load curve), so any instant is read directly, like the
 * simulator's readings.
 *
 * Where the rates come from:
 *  - chat-serving (a 7-8B LLM on vLLM): 900 generated tokens/s at full load on
 *    one A100 80GB. Measured on an A100 40GB: Llama-3.1-8B decodes at about 75
 *    tokens/s for one request and batching multiplies that about 6.6x by 8
 *    concurrent requests, the latency knee, so about 500 tokens/s there
 *    (johnmusgrave.com, "vLLM throughput-latency sweep on NVIDIA A100", vLLM
 *    0.23); the 80GB card's larger KV cache is assumed to carry a batch about
 *    twice as large. Prompts: 4 tokens for each generated one; a request
 *    generates 250 tokens on average (assumptions).
 *  - H100 versus A100: about 2x, as measured with vLLM on Llama and Mistral
 *    models from 7B up ("NVIDIA H100 offers ~2x better throughput and lower
 *    latency than A100", Lambda, LambdaLabsML/vllm-benchmark benchmark_v0.md).
 *    Not the peak dense BF16 ratio (989 / 312 TFLOPS, about 3.2x), which serving
 *    and training do not reach. The same measured ratio is assumed for the other
 *    workloads.
 *  - The other services (rankers, CTR and embedding models behind Triton) and
 *    the training jobs' samples per second per A100 are assumptions of typical
 *    sizes for such models, not measurements; what the demo needs from them is
 *    a plausible order of magnitude and the measured H100/A100 ratio.
 */
import type { JobAttribution } from "../readings";
import type { WorkSource } from "../work-counters/inference-metrics";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Throughput of an H100 80GB relative to an A100 80GB (see above). */
export const H100_OVER_A100 = 2;

const gpuFactor = (gpuShortName: string) => (gpuShortName === "h100" ? H100_OVER_A100 : 1);

interface ServiceRate {
  source: WorkSource;
  /** Units per second on one A100 at full load. */
  perSecondOnA100: Record<string, number>;
}

const CHAT_GENERATED_TOKENS_PER_S = 900;

/** Per service name (the simulator's `service` label). */
export const SERVICE_RATES: Readonly<Record<string, ServiceRate>> = {
  "chat-serving": {
    source: "vllm",
    perSecondOnA100: {
      prompt_tokens: 4 * CHAT_GENERATED_TOKENS_PER_S,
      generation_tokens: CHAT_GENERATED_TOKENS_PER_S,
      requests: CHAT_GENERATED_TOKENS_PER_S / 250,
    },
  },
  "ranker-serving": { source: "triton", perSecondOnA100: { requests: 1200 } },
  "ctr-serving": { source: "triton", perSecondOnA100: { requests: 3000 } },
  "embed-serving": { source: "triton", perSecondOnA100: { requests: 800 } },
};

/** Training samples per second per A100 at full efficiency, per model. */
export const TRAINING_SAMPLES_PER_S: Readonly<Record<string, number>> = {
  "ranker-v3": 9000,
  "query-encoder": 2500,
  "ctr-dnn": 40000,
  "bid-shading": 30000,
  "vit-l-catalog": 180,
  "clip-retrieval": 450,
  "llama-7b-ft": 1.5, // 2,048-token sequences: about 3,000 tokens/s per A100
  "reranker-mini": 1800,
};

/** erf, Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const z = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-z * z));
}

/**
 * ∫ inferenceLoadFactor over [fromMs, toMs), in hours of full load. Mirrors
 * inferenceLoadFactor in fleet-simulator.ts: (0.2 + 0.8 exp(-((hour - 14) / 4.5)²))
 * times 0.6 at weekends, integrated day by day.
 */
export function integratedLoadHours(fromMs: number, toMs: number): number {
  let total = 0;
  for (let dayStartMs = Math.floor(fromMs / DAY_MS) * DAY_MS; dayStartMs < toMs; dayStartMs += DAY_MS) {
    const startHour = (Math.max(fromMs, dayStartMs) - dayStartMs) / HOUR_MS;
    const endHour = (Math.min(toMs, dayStartMs + DAY_MS) - dayStartMs) / HOUR_MS;
    if (endHour <= startHour) continue;
    const dayOfWeek = (Math.floor(dayStartMs / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday
    const weekendFactor = dayOfWeek === 0 || dayOfWeek === 6 ? 0.6 : 1;
    const peakHours = 0.8 * 4.5 * (Math.sqrt(Math.PI) / 2) * (erf((endHour - 14) / 4.5) - erf((startHour - 14) / 4.5));
    total += weekendFactor * (0.2 * (endHour - startHour) + peakHours);
  }
  return total;
}

/** One cumulative counter of a simulated workload at an instant. */
export interface SimulatedCounter {
  unit: string;
  source: WorkSource;
  value: number;
}

/** What a service has served since it started, at `atMs`; its load follows the daily curve at `loadShare` of the GPU. */
export function serviceCounters(serviceName: string, gpuShortName: string, loadShare: number, startMs: number, atMs: number): SimulatedCounter[] {
  const rate = SERVICE_RATES[serviceName];
  if (!rate) return [];
  const fullLoadSeconds = integratedLoadHours(startMs, atMs) * 3600 * loadShare * gpuFactor(gpuShortName);
  return Object.entries(rate.perSecondOnA100).map(([unit, perSecond]) => ({ unit, source: rate.source, value: Math.floor(perSecond * fullLoadSeconds) }));
}

/** Samples a training job has trained on since it started, over all its GPUs, at `efficiency` (0..1) of full speed. */
export function trainingCounters(job: JobAttribution, gpuShortName: string, gpuCount: number, efficiency: number, startMs: number, atMs: number): SimulatedCounter[] {
  const perSecond = job.model ? TRAINING_SAMPLES_PER_S[job.model] : undefined;
  if (perSecond === undefined) return [];
  const seconds = Math.max(0, atMs - startMs) / 1000;
  return [{ unit: "samples", source: "report", value: Math.floor(perSecond * gpuFactor(gpuShortName) * gpuCount * efficiency * seconds) }];
}
