import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePodList, podJobMetadata, workloadOf } from "../../../collectors/metadata/kubernetes-pods";
import { DEFAULT_MAPPING_RULES } from "../../../collectors/metadata/mapping-rules";

const fixture = (name: string) => readFileSync(path.join(__dirname, "../../fixtures/kubernetes", name), "utf8");

describe("parsePodList", () => {
  it("reads namespace, name, labels, annotations and owner of each pod of a kubelet /pods capture", () => {
    const pods = parsePodList(fixture("kubelet-pods__datadog-agent__podlist_1.8-2.json"), "kubelet /pods");
    expect(pods.map((pod) => `${pod.namespace}/${pod.name}`)).toEqual([
      "kube-system/kube-apiserver-my-node-name",
      "kube-system/kube-controller-manager",
      "kube-system/kube-proxy-rnd5q",
      "default/nginx-99d8b564-4r4vq",
      "default/redis-75586d7d7c-jrm7j",
      "kube-system/kube-proxy-gke-haissam-default-pool-be5066f1-wnvn",
    ]);
    const proxy = pods[2];
    expect(proxy.uid).toBe("e42b42ec-0749-11e8-a2b8-000c29dea4f6");
    expect(proxy.owner).toEqual({ kind: "DaemonSet", name: "kube-proxy" });
    expect(proxy.workload).toEqual({ kind: "DaemonSet", name: "kube-proxy" });
    expect(proxy.labels).toMatchObject({ app: "kube-proxy" });
    expect(pods[0].owner).toBeNull();
    expect(pods[0].annotations["kubernetes.io/config.source"]).toBe("file");
  });

  it("names the Deployment behind a ReplicaSet, also when Kubernetes 1.8 hashed the name differently from the label", () => {
    const pods = parsePodList(fixture("kubelet-pods__datadog-agent__podlist_1.8-2.json"), "kubelet /pods");
    // pod-template-hash 55846120, ReplicaSet nginx-99d8b564: the label is not the name's suffix.
    expect(pods[3].owner).toEqual({ kind: "ReplicaSet", name: "nginx-99d8b564" });
    expect(pods[3].workload).toEqual({ kind: "Deployment", name: "nginx" });
    expect(pods[4].workload).toEqual({ kind: "Deployment", name: "redis" });
  });

  it("reads an API server PodList of a GPU node", () => {
    const pods = parsePodList(fixture("api-pods__gpu-node__constructed.json"), "api");
    expect(pods.map((pod) => pod.workload)).toEqual([
      { kind: "PyTorchJob", name: "llama-ft-0412" },
      { kind: "Deployment", name: "chat-vllm" },
      { kind: "Job", name: "nightly-eval-29012340" },
      { kind: "StatefulSet", name: "jupyter-ana" },
      { kind: "DaemonSet", name: "nvidia-device-plugin-daemonset" },
    ]);
  });

  it("refuses a body that is not a PodList, naming where it came from", () => {
    expect(() => parsePodList("<html>", "https://10.0.0.1:10250/pods")).toThrow(/^https:\/\/10\.0\.0\.1:10250\/pods: not JSON/);
    expect(() => parsePodList('{"kind":"Status","code":403}', "api")).toThrow("api: field items: expected a PodList with an items array");
  });
});

describe("workloadOf", () => {
  it("keeps a ReplicaSet without pod-template-hash (not made by a Deployment) and any other owner", () => {
    expect(workloadOf({ kind: "ReplicaSet", name: "standalone" }, {})).toEqual({ kind: "ReplicaSet", name: "standalone" });
    expect(workloadOf({ kind: "Job", name: "nightly-eval-29012340" }, { "pod-template-hash": "x" })).toEqual({ kind: "Job", name: "nightly-eval-29012340" });
    expect(workloadOf(null, {})).toBeNull();
  });
});

describe("podJobMetadata", () => {
  const pods = parsePodList(fixture("api-pods__gpu-node__constructed.json"), "api");

  it("maps a Kubeflow PyTorchJob worker: team from the namespace, project from the Kueue queue, experiment from the job name", () => {
    expect(podJobMetadata(pods[0], DEFAULT_MAPPING_RULES.kubernetes)).toEqual({
      values: { team: "nlp-research", project: "nlp-gpu", experiment: "llama-ft-0412" },
      labels: { namespace: "nlp-research", pod: "llama-ft-worker-0", workloadKind: "PyTorchJob", workload: "llama-ft-0412", kueueQueue: "nlp-gpu" },
    });
  });

  it("maps a Deployment's pod from its team label and app.kubernetes.io labels, the user from an annotation", () => {
    expect(podJobMetadata(pods[1], DEFAULT_MAPPING_RULES.kubernetes)).toEqual({
      values: { team: "applied-ml", project: "chat-assistant", model: "llama-3.1-8b-instruct", user: "maria" },
      labels: { namespace: "serving", pod: "chat-vllm-7d9c5b6f48-x2kq9", workloadKind: "Deployment", workload: "chat-vllm", ownerKind: "ReplicaSet", owner: "chat-vllm-7d9c5b6f48" },
    });
  });

  it("follows configured rules: the workload's name as experiment, a constant as fallback", () => {
    const rules = { team: ["label:cost-center", "=platform"], experiment: ["annotation:gpu-roi.io/experiment", "owner"] };
    expect(podJobMetadata(pods[2], rules).values).toEqual({ team: "platform", experiment: "nightly-eval-29012340" });
    expect(podJobMetadata(pods[3], rules).values).toEqual({ team: "platform", experiment: "tokenizer-ablation" });
  });
});
