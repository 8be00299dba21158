import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseInferenceMetrics } from "../../../collectors/work-counters/inference-metrics";

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "inference-metrics");
const readFixture = (name: string) => readFileSync(path.join(fixturesDir, name), "utf8");
const valueOf = (metrics: ReturnType<typeof parseInferenceMetrics>, unit: string) => metrics.counters.find((counter) => counter.unit === unit)?.value;

describe("parseInferenceMetrics", () => {
  it("reads vLLM's generated tokens and sums finished requests over their finish reasons (vLLM docs capture)", () => {
    const metrics = parseInferenceMetrics(readFixture("vllm__llama-3.1-8b__docs-design-metrics.txt"), "http://127.0.0.1:8000/metrics");
    expect(metrics.server).toBe("vllm");
    expect(valueOf(metrics, "generation_tokens")).toBe(27453);
    expect(valueOf(metrics, "requests")).toBe(132);
    // The published excerpt has no prompt-token line: absent, not zero.
    expect(valueOf(metrics, "prompt_tokens")).toBeNull();
  });

  it("reads SGLang's token counters in scientific notation (SGLang docs capture)", () => {
    const metrics = parseInferenceMetrics(readFixture("sglang__llama-3.1-8b__docs-production-metrics.txt"), "sglang:30000");
    expect(metrics.server).toBe("sglang");
    expect(valueOf(metrics, "prompt_tokens")).toBe(8_128_902);
    expect(valueOf(metrics, "generation_tokens")).toBe(7_557_572);
    expect(valueOf(metrics, "requests")).toBeNull();
  });

  it("reads Triton's successful requests and leaves inferences absent when the page lacks nv_inference_count (Triton docs capture)", () => {
    const metrics = parseInferenceMetrics(readFixture("triton__my-model__docs-user-guide-metrics.txt"), "triton:8002");
    expect(metrics.server).toBe("triton");
    expect(valueOf(metrics, "requests")).toBe(161);
    expect(valueOf(metrics, "inferences")).toBeNull();
  });

  it("sums Triton counters over models and reads nv_inference_count as inferences", () => {
    const text = [
      'nv_inference_request_success{model="a",version="1"} 10',
      'nv_inference_request_success{model="b",version="1"} 5',
      'nv_inference_count{model="a",version="1"} 80',
      'nv_inference_exec_count{model="a",version="1"} 3',
    ].join("\n");
    const metrics = parseInferenceMetrics(text, "triton");
    expect(valueOf(metrics, "requests")).toBe(15);
    expect(valueOf(metrics, "inferences")).toBe(80);
  });

  it("reads TGI's histogram sums as token counters and its successful requests", () => {
    const metrics = parseInferenceMetrics(readFixture("tgi__constructed-from-docs.txt"), "tgi:8080");
    expect(metrics.server).toBe("tgi");
    expect(valueOf(metrics, "prompt_tokens")).toBe(18000);
    expect(valueOf(metrics, "generation_tokens")).toBe(12500);
    expect(valueOf(metrics, "requests")).toBe(150);
  });

  it("says no server for a page without inference metrics", () => {
    expect(parseInferenceMetrics("process_cpu_seconds_total 4.5\n", "x")).toEqual({ server: null, counters: [] });
  });

  it("names the endpoint, line and metric of a malformed line", () => {
    const text = 'vllm:prompt_tokens_total{model_name="m"} 10\nvllm:generation_tokens_total{model_name="m"} 12x\n';
    expect(() => parseInferenceMetrics(text, "http://10.0.0.5:8000/metrics")).toThrow(
      'http://10.0.0.5:8000/metrics line 2, field vllm:generation_tokens_total: "12x" is not a number',
    );
  });

  it("refuses a negative counter, naming the endpoint, line and metric", () => {
    expect(() => parseInferenceMetrics('vllm:prompt_tokens_total{model_name="m"} -3\n', "ep")).toThrow("ep line 1, field vllm:prompt_tokens_total: counter is negative (-3)");
  });
});
