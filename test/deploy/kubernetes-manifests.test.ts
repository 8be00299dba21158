import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { RUN_USAGE } from "../../collectors/cli";

const root = path.join(__dirname, "../..");
const manifestsDir = path.join(root, "deploy/kubernetes");
const chartDir = path.join(root, "deploy/helm/gpu-roi-collector");

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}
/** A parsed manifest: its shape is what the assertions check. */
type Doc = any;

const parseFile = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(file, "utf8")).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
    return document.toJS();
  });

/**
 * A Helm template made parseable: lines that are only template actions go, and
 * an action inside a line becomes a placeholder. Every branch of an if is kept,
 * so what is checked is everything the chart can render.
 */
const parseTemplate = (file: string): Doc[] => {
  const text = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => !/^\s*\{\{-?[^}]*\}\}\s*$/.test(line))
    .map((line) => line.replace(/\{\{-?[^}]*\}\}/g, "TEMPLATE"))
    .join("\n");
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
    return document.toJS();
  });
};

/** Every variable `collector run` reads, from its usage text. */
const collectorVariables = new Set([...RUN_USAGE.matchAll(/env (GPU_ROI_[A-Z0-9_]+)/g)].map((match) => match[1]));

const rulesOf = (documents: Doc[]): Rule[] => documents.filter((doc) => doc?.kind === "ClusterRole" || doc?.kind === "Role").flatMap((doc) => doc.rules as Rule[]);
const grants = (rules: Rule[]) => rules.flatMap((rule) => (rule.resources ?? []).flatMap((resource) => (rule.verbs ?? []).map((verb) => `${(rule.apiGroups ?? [""]).join(",")}/${resource}:${verb}`)));

describe("deploy/kubernetes manifests", () => {
  const files = readdirSync(manifestsDir).filter((file) => file.endsWith(".yaml"));
  const all = files.flatMap((file) => parseFile(path.join(manifestsDir, file)));

  it("are YAML documents that each name an apiVersion and kind", () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const doc of all) expect(doc).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String) });
  });

  it("grant only list on pods through the API server, and only get on nodes/pods through the kubelet", () => {
    expect(grants(rulesOf(parseFile(path.join(manifestsDir, "rbac.yaml"))))).toEqual(["/pods:list"]);
    expect(grants(rulesOf(parseFile(path.join(manifestsDir, "rbac-kubelet.yaml"))))).toEqual(["/nodes/pods:get"]);
    expect(all.filter((doc) => doc.kind === "Role" || doc.kind === "ClusterRole").map((doc) => doc.metadata.name)).toEqual(["gpu-roi-collector-kubelet", "gpu-roi-collector"]);
  });

  it("bind the roles to the collector's ServiceAccount, which the DaemonSet runs as", () => {
    const account = all.find((doc) => doc.kind === "ServiceAccount");
    for (const binding of all.filter((doc) => doc.kind === "ClusterRoleBinding")) {
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: account.metadata.name, namespace: account.metadata.namespace }]);
    }
    const daemonSet = all.find((doc) => doc.kind === "DaemonSet");
    expect(daemonSet.spec.template.spec.serviceAccountName).toBe(account.metadata.name);
  });

  it("run the DaemonSet on GPU nodes with host PIDs, as root with SYS_PTRACE alone, the node's token from the Secret", () => {
    const daemonSet = all.find((doc) => doc.kind === "DaemonSet");
    const pod = daemonSet.spec.template.spec;
    expect(pod.hostPID).toBe(true);
    expect(pod.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
    const container = pod.containers[0];
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["SYS_PTRACE"] } });
    expect(container.resources.limits).not.toHaveProperty("nvidia.com/gpu");
    const env = Object.fromEntries(container.env.map((item: { name: string; value?: string }) => [item.name, item.value]));
    expect(env.GPU_ROI_TOKEN_FILE).toBe("/etc/gpu-roi/node-tokens/$(NODE_NAME)");
    const secret = all.find((doc) => doc.kind === "Secret");
    expect(pod.volumes.find((volume: Doc) => volume.name === "node-tokens").secret.secretName).toBe(secret.metadata.name);
    expect(container.volumeMounts.find((mount: Doc) => mount.name === "node-tokens").mountPath).toBe("/etc/gpu-roi/node-tokens");
  });

  it("set only variables the collector reads", () => {
    const daemonSet = all.find((doc) => doc.kind === "DaemonSet");
    const names: string[] = daemonSet.spec.template.spec.containers[0].env.map((item: { name: string }) => item.name).filter((name: string) => name.startsWith("GPU_ROI_"));
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(collectorVariables, name).toContain(name);
  });

  it("give the collector mapping rules it accepts", async () => {
    const { parseMappingRules } = await import("../../collectors/metadata/mapping-rules");
    const configMap = all.find((doc) => doc.kind === "ConfigMap");
    expect(parseMappingRules(configMap.data["rules.json"], "rules.json").kubernetes.experiment).toContain("owner");
  });

  it("list in kustomization.yaml only files that exist", () => {
    const [kustomization] = parseFile(path.join(manifestsDir, "kustomization.yaml"));
    for (const file of kustomization.resources) expect(existsSync(path.join(manifestsDir, file)), file).toBe(true);
  });
});

describe("deploy/helm/gpu-roi-collector", () => {
  it("has a Chart.yaml and values.yaml that parse, with the server URL, token secret, mapping rules and image as values", () => {
    const [chart] = parseFile(path.join(chartDir, "Chart.yaml"));
    expect(chart).toMatchObject({ apiVersion: "v2", name: "gpu-roi-collector", version: expect.any(String) });
    const [values] = parseFile(path.join(chartDir, "values.yaml"));
    expect(Object.keys(values)).toEqual(expect.arrayContaining(["serverUrl", "nodeTokens", "mappingRules", "image"]));
    expect(values.image).toMatchObject({ repository: expect.any(String), tag: expect.any(String) });
  });

  it("can render no RBAC grant but list on pods, get on nodes/pods, and nodes/proxy only behind legacyKubeletProxy", () => {
    const file = path.join(chartDir, "templates/rbac.yaml");
    expect(new Set(grants(rulesOf(parseTemplate(file))))).toEqual(new Set(["/pods:list", "/nodes/pods:get", "/nodes/proxy:get"]));
    const text = readFileSync(file, "utf8");
    const proxyAt = text.indexOf('"nodes/proxy"');
    const guardAt = text.lastIndexOf("legacyKubeletProxy", proxyAt);
    expect(guardAt).toBeGreaterThan(-1);
    expect(text.slice(guardAt, proxyAt)).not.toContain("{{- end }}");
  });

  it("renders a DaemonSet like the plain manifests: host PIDs, SYS_PTRACE alone, variables the collector reads", () => {
    const [daemonSet] = parseTemplate(path.join(chartDir, "templates/daemonset.yaml"));
    const pod = daemonSet.spec.template.spec;
    expect(pod.hostPID).toBe(true);
    expect(pod.containers[0].securityContext.capabilities).toEqual({ drop: ["ALL"], add: ["SYS_PTRACE"] });
    const names: string[] = pod.containers[0].env.map((item: { name: string }) => item.name).filter((name: string) => name.startsWith("GPU_ROI_"));
    for (const name of names) expect(collectorVariables, name).toContain(name);
  });
});
