import { describe, expect, it } from "vitest";
import { endpointsFromPodList } from "../../../collectors/work-counters/pod-annotations";

const pod = (name: string, annotations: Record<string, string>, status: Record<string, string> = { phase: "Running", podIP: "10.42.0.17" }) => ({
  metadata: { name, namespace: "serving", uid: "3F2504E0-4F89-11D3-9A0C-0305E82C3301", annotations },
  status,
});

describe("endpointsFromPodList", () => {
  it("makes a scrape URL of each running pod annotated prometheus.io/scrape, attributed to the pod", () => {
    const list = {
      kind: "PodList",
      items: [
        pod("vllm-0", { "prometheus.io/scrape": "true", "prometheus.io/port": "8000" }),
        pod("triton-0", { "prometheus.io/scrape": "true", "prometheus.io/port": "8002", "prometheus.io/path": "/v2/metrics", "prometheus.io/scheme": "https" }, { phase: "Running", podIP: "fd00::5" }),
        pod("web", { "prometheus.io/scrape": "false", "prometheus.io/port": "80" }),
        pod("done", { "prometheus.io/scrape": "true", "prometheus.io/port": "8000" }, { phase: "Succeeded", podIP: "10.42.0.9" }),
      ],
    };
    expect(endpointsFromPodList(JSON.stringify(list), "pods.json")).toEqual({
      endpoints: [
        { url: "http://10.42.0.17:8000/metrics", job: { externalId: "pod-3f2504e0-4f89-11d3-9a0c-0305e82c3301", kind: "inference", labels: { attribution: "kubernetes", pod: "vllm-0", namespace: "serving" } } },
        { url: "https://[fd00::5]:8002/v2/metrics", job: { externalId: "pod-3f2504e0-4f89-11d3-9a0c-0305e82c3301", kind: "inference", labels: { attribution: "kubernetes", pod: "triton-0", namespace: "serving" } } },
      ],
      warnings: [],
    });
  });

  it("skips an annotated pod without a usable port, naming the file, pod and field", () => {
    const list = { items: [pod("vllm-1", { "prometheus.io/scrape": "true" }), pod("vllm-2", { "prometheus.io/scrape": "true", "prometheus.io/port": "http" })] };
    expect(endpointsFromPodList(JSON.stringify(list), "/run/pods.json")).toEqual({
      endpoints: [],
      warnings: [
        "/run/pods.json: pod serving/vllm-1, field prometheus.io/port: null is not a port; not scraped",
        '/run/pods.json: pod serving/vllm-2, field prometheus.io/port: "http" is not a port; not scraped',
      ],
    });
  });

  it("refuses a file that is not a PodList, naming the file", () => {
    expect(() => endpointsFromPodList("{", "pods.json")).toThrow(/^pods\.json: not JSON/);
    expect(() => endpointsFromPodList('{"kind": "Pod"}', "pods.json")).toThrow("pods.json: field items: expected a PodList with an items array");
  });
});
