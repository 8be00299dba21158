/**
 * Reads this node's pods from the API server or the kubelet and keeps them for
 * a TTL, so a poll costs no request while nothing changed.
 *
 * Plain HTTPS with the ServiceAccount token and CA instead of a Kubernetes
 * client library: one GET of one resource does not need one, and the collector
 * stays small. The token file is read at every refresh because projected
 * ServiceAccount tokens are rotated by the kubelet (hourly by default).
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { parsePodList, type PodMetadata } from "./kubernetes-pods";

export const DEFAULT_SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** A body larger than this is refused: a node runs at most a few hundred pods (110 by default). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface KubernetesMetadataConfig {
  /** PodList URL: `https://HOST/api/v1/pods?fieldSelector=spec.nodeName=NODE` or `https://NODE:10250/pods`. */
  podsUrl: string;
  /** Bearer token file; null: no Authorization header (kubelet read-only port). */
  tokenFile: string | null;
  /** PEM CA bundle that signed the server's certificate; null: the system's CAs. */
  caFile: string | null;
  /** How long a fetched list is used before it is fetched again. */
  cacheTtlMs: number;
  /** Limit on one request. */
  timeoutMs: number;
}

export interface FileReader {
  (path: string): string;
}

/** GETs a URL and returns its body; a status other than 200 is an error naming the URL and status. */
export function getText(url: string, options: { token: string | null; ca: string | null; timeoutMs: number; signal?: AbortSignal }): Promise<string> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const client = target.protocol === "https:" ? https : http;
    const request = client.get(target, { headers, timeout: options.timeoutMs, signal: options.signal, ...(options.ca ? { ca: options.ca } : {}) }, (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_BODY_BYTES) {
          request.destroy(new Error(`${url}: response larger than ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (response.statusCode !== 200) {
          reject(new Error(`${target.origin}${target.pathname}: HTTP ${response.statusCode}${body ? ` (${body.slice(0, 200).trim()})` : ""}`));
          return;
        }
        resolve(body);
      });
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`${target.origin}${target.pathname}: no answer within ${options.timeoutMs} ms`)));
    request.on("error", reject);
  });
}

/**
 * Pod metadata by pod UID and by namespace/name, refreshed when older than the
 * TTL or when a pod is asked for that the list does not hold yet (a pod that
 * just started) — at most once per TTL/4 for the latter, so an unknown UID
 * cannot turn every poll into a request. A failed refresh keeps the old list.
 */
export class KubernetesPodCache {
  private byUid = new Map<string, PodMetadata>();
  private byName = new Map<string, PodMetadata>();
  private fetchedAtMs: number | null = null;
  private refreshing: Promise<void> | null = null;
  lastError: string | null = null;
  fetches = 0;

  constructor(
    private readonly config: KubernetesMetadataConfig,
    private readonly deps: { now: () => number; readFile?: FileReader; log?: (line: string) => void },
  ) {}

  /** Metadata of the pods asked for; unknown ones are absent from the answer. */
  async lookup(keys: { uids: readonly string[]; names: readonly string[] }, signal?: AbortSignal): Promise<{ byUid: Map<string, PodMetadata>; byName: Map<string, PodMetadata> }> {
    const nowMs = this.deps.now();
    const missing = keys.uids.some((uid) => !this.byUid.has(uid)) || keys.names.some((name) => !this.byName.has(name));
    const age = this.fetchedAtMs === null ? Infinity : nowMs - this.fetchedAtMs;
    const retryMs = this.config.cacheTtlMs / 4;
    if (age >= (this.lastError === null ? this.config.cacheTtlMs : retryMs) || (missing && age >= retryMs)) await this.refresh(signal);
    return this.known(keys);
  }

  /** What the last fetched list says about these pods, without asking the server. */
  known(keys: { uids: readonly string[]; names: readonly string[] }): { byUid: Map<string, PodMetadata>; byName: Map<string, PodMetadata> } {
    const byUid = new Map<string, PodMetadata>();
    const byName = new Map<string, PodMetadata>();
    for (const uid of keys.uids) {
      const pod = this.byUid.get(uid);
      if (pod) byUid.set(uid, pod);
    }
    for (const name of keys.names) {
      const pod = this.byName.get(name);
      if (pod) byName.set(name, pod);
    }
    return { byUid, byName };
  }

  private refresh(signal?: AbortSignal): Promise<void> {
    this.refreshing ??= this.fetchPods(signal).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async fetchPods(signal?: AbortSignal): Promise<void> {
    const readFile = this.deps.readFile ?? ((path: string) => readFileSync(path, "utf8"));
    // Counted as an attempt whether it works or not, so a failing server is asked once per TTL/4, not every poll.
    this.fetchedAtMs = this.deps.now();
    this.fetches += 1;
    try {
      const token = this.config.tokenFile ? readFile(this.config.tokenFile).trim() : null;
      const ca = this.config.caFile ? readFile(this.config.caFile) : null;
      const body = await getText(this.config.podsUrl, { token, ca, timeoutMs: this.config.timeoutMs, signal });
      const pods = parsePodList(body, this.config.podsUrl);
      this.byUid = new Map(pods.map((pod) => [pod.uid, pod]));
      this.byName = new Map(pods.map((pod) => [`${pod.namespace}/${pod.name}`, pod]));
      if (this.lastError !== null) this.deps.log?.(`kubernetes metadata: ${pods.length} pods from ${this.config.podsUrl} again`);
      this.lastError = null;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.lastError) this.deps.log?.(`kubernetes metadata: ${message}; keeping the ${this.byUid.size} pods known`);
      // The old entries stay: a pod's labels rarely change while it runs. The next try is TTL/4 later.
      this.lastError = message;
    }
  }
}
