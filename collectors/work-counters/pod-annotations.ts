/**
 * Inference servers found through Kubernetes pod annotations, the convention
 * Prometheus' Kubernetes discovery follows: `prometheus.io/scrape: "true"`,
 * `prometheus.io/port` (required here), `prometheus.io/path` (default /metrics)
 * and `prometheus.io/scheme` (default http).
 *
 * The collector does not talk to the Kubernetes API: it reads a PodList JSON
 * file that something on the node keeps current (e.g. `kubectl get pods -A -o
 * json --field-selector spec.nodeName=$NODE > pods.json` on a timer, or a
 * sidecar). Each pod's server is attributed to the pod, `pod-<uid>`: the job id
 * /proc attribution gives the pod's processes from their cgroup (unless their
 * environment names GPU_ROI_JOB_ID or a Slurm job).
 */
import type { JobAttribution } from "../readings";

export interface PodEndpoint {
  url: string;
  job: JobAttribution;
}

export interface PodEndpoints {
  endpoints: PodEndpoint[];
  /** Annotated pods that could not be used, each naming the file, the pod and the field. */
  warnings: string[];
}

interface PodJson {
  metadata?: { uid?: unknown; name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> };
  status?: { podIP?: unknown; phase?: unknown };
}

const text = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim() : null);

/** The scrape endpoints of the running, annotated pods of a PodList (`kubectl get pods -o json`). */
export function endpointsFromPodList(json: string, file: string): PodEndpoints {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const items = (parsed as { items?: unknown })?.items;
  if (!Array.isArray(items)) throw new Error(`${file}: field items: expected a PodList with an items array`);
  const endpoints: PodEndpoint[] = [];
  const warnings: string[] = [];
  items.forEach((item: PodJson, index) => {
    const annotations = item?.metadata?.annotations ?? {};
    if (text(annotations["prometheus.io/scrape"]) !== "true") return;
    const name = text(item.metadata?.name) ?? `items[${index}]`;
    const namespace = text(item.metadata?.namespace) ?? "default";
    const warn = (field: string, problem: string) => warnings.push(`${file}: pod ${namespace}/${name}, field ${field}: ${problem}; not scraped`);
    if (text(item.status?.phase) !== "Running") return;
    const uid = text(item.metadata?.uid);
    if (uid === null) return warn("metadata.uid", "missing");
    const podIp = text(item.status?.podIP);
    if (podIp === null) return warn("status.podIP", "missing");
    const portText = text(annotations["prometheus.io/port"]);
    const port = Number(portText);
    if (portText === null || !/^\d+$/.test(portText) || port < 1 || port > 65535) return warn("prometheus.io/port", `${JSON.stringify(portText)} is not a port`);
    const scheme = text(annotations["prometheus.io/scheme"]) ?? "http";
    if (scheme !== "http" && scheme !== "https") return warn("prometheus.io/scheme", `${JSON.stringify(scheme)} is not http or https`);
    const metricsPath = text(annotations["prometheus.io/path"]) ?? "/metrics";
    const host = podIp.includes(":") ? `[${podIp}]` : podIp;
    const url = `${scheme}://${host}:${port}${metricsPath.startsWith("/") ? "" : "/"}${metricsPath}`;
    if (!URL.canParse(url)) return warn("prometheus.io/path", `${JSON.stringify(metricsPath)} does not make a URL`);
    endpoints.push({
      url,
      job: { externalId: `pod-${uid.toLowerCase()}`, kind: "inference", labels: { attribution: "kubernetes", pod: name, namespace } },
    });
  });
  return { endpoints, warnings };
}
