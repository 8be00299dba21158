import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesPodCache } from "../../../collectors/metadata/kubernetes-metadata";

const podList = readFileSync(path.join(__dirname, "../../fixtures/kubernetes/api-pods__gpu-node__constructed.json"), "utf8");
const PYTORCH_POD = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/** A self-signed certificate for 127.0.0.1, made with openssl as a cluster CA would sign the API server's. */
function makeCertificate(dir: string): { cert: string; key: string } | null {
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "ca.crt"), "-days", "1", "-subj", "/CN=kubernetes", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  } catch {
    return null;
  }
  return { cert: readFileSync(path.join(dir, "ca.crt"), "utf8"), key: readFileSync(path.join(dir, "key.pem"), "utf8") };
}

describe("KubernetesPodCache", () => {
  let dir: string;
  let server: https.Server;
  let url: string;
  const requests: { path: string; authorization: string | undefined }[] = [];
  let status = 200;
  let certificate: { cert: string; key: string } | null;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gpu-roi-k8s-"));
    certificate = makeCertificate(dir);
    if (certificate === null) {
      if (process.env.CI === "true") throw new Error("openssl is needed to make the API server's certificate");
      console.warn("openssl not found: KubernetesPodCache HTTPS tests skipped");
      return;
    }
    writeFileSync(path.join(dir, "token"), "token-1\n");
    server = https.createServer({ cert: certificate.cert, key: certificate.key }, (request, response) => {
      requests.push({ path: request.url ?? "", authorization: request.headers.authorization });
      response.writeHead(status, { "content-type": "application/json" });
      response.end(status === 200 ? podList : '{"kind":"Status","reason":"Forbidden"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/pods?fieldSelector=spec.nodeName=gpu-node-07`;
  });

  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const cache = (now: () => number, log?: (line: string) => void) =>
    new KubernetesPodCache({ podsUrl: url, tokenFile: path.join(dir, "token"), caFile: path.join(dir, "ca.crt"), cacheTtlMs: 60_000, timeoutMs: 2_000 }, { now, log });

  it("fetches this node's pods over HTTPS with the ServiceAccount token, verifying the server against the CA", async (context) => {
    if (!certificate) return context.skip();
    requests.length = 0;
    const pods = await cache(() => Date.UTC(2026, 11, 4, 12)).lookup({ uids: [PYTORCH_POD], names: ["serving/chat-vllm-7d9c5b6f48-x2kq9"] });
    expect(pods.byUid.get(PYTORCH_POD)?.workload).toEqual({ kind: "PyTorchJob", name: "llama-ft-0412" });
    expect(pods.byName.get("serving/chat-vllm-7d9c5b6f48-x2kq9")?.uid).toBe("a3c2e1f0-9b8a-4c7d-8e6f-5a4b3c2d1e0f");
    expect(requests).toEqual([{ path: "/api/v1/pods?fieldSelector=spec.nodeName=gpu-node-07", authorization: "Bearer token-1" }]);
  });

  it("asks again only after the TTL, or after a quarter of it for a pod it does not know, and reads the rotated token", async (context) => {
    if (!certificate) return context.skip();
    requests.length = 0;
    let nowMs = Date.UTC(2026, 11, 4, 12);
    const pods = cache(() => nowMs);
    await pods.lookup({ uids: [PYTORCH_POD], names: [] });
    nowMs += 30_000;
    await pods.lookup({ uids: [PYTORCH_POD], names: [] });
    expect(requests).toHaveLength(1);
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect((await pods.lookup({ uids: [unknown], names: [] })).byUid.size).toBe(0);
    expect(requests).toHaveLength(2);
    nowMs += 1_000;
    await pods.lookup({ uids: [unknown], names: [] });
    expect(requests).toHaveLength(2);
    writeFileSync(path.join(dir, "token"), "token-2\n");
    nowMs += 60_000;
    await pods.lookup({ uids: [PYTORCH_POD], names: [] });
    expect(requests.map((request) => request.authorization)).toEqual(["Bearer token-1", "Bearer token-1", "Bearer token-2"]);
    writeFileSync(path.join(dir, "token"), "token-1\n");
  });

  it("keeps the pods it knows when the server refuses, logs once, and retries a quarter TTL later", async (context) => {
    if (!certificate) return context.skip();
    let nowMs = Date.UTC(2026, 11, 4, 12);
    const lines: string[] = [];
    const pods = cache(() => nowMs, (line) => lines.push(line));
    await pods.lookup({ uids: [PYTORCH_POD], names: [] });
    status = 403;
    try {
      nowMs += 60_000;
      expect((await pods.lookup({ uids: [PYTORCH_POD], names: [] })).byUid.has(PYTORCH_POD)).toBe(true);
      nowMs += 15_000;
      await pods.lookup({ uids: [PYTORCH_POD], names: [] });
      expect(pods.fetches).toBe(3);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^kubernetes metadata: https:\/\/127\.0\.0\.1:\d+\/api\/v1\/pods: HTTP 403 .*; keeping the 5 pods known$/);
    } finally {
      status = 200;
    }
  });

  it("refuses a server whose certificate the CA did not sign", async (context) => {
    if (!certificate) return context.skip();
    const lines: string[] = [];
    const pods = new KubernetesPodCache({ podsUrl: url, tokenFile: path.join(dir, "token"), caFile: null, cacheTtlMs: 60_000, timeoutMs: 2_000 }, { now: () => 0, log: (line) => lines.push(line) });
    expect((await pods.lookup({ uids: [PYTORCH_POD], names: [] })).byUid.size).toBe(0);
    expect(lines[0]).toMatch(/self.signed certificate/i);
  });

  it("reads a kubelet's /pods capture from the read-only port over plain HTTP, without a token", async () => {
    const kubeletPods = readFileSync(path.join(__dirname, "../../fixtures/kubernetes/kubelet-pods__datadog-agent__podlist_1.8-2.json"), "utf8");
    const seen: (string | undefined)[] = [];
    const plain = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.end(kubeletPods);
    });
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    try {
      const pods = new KubernetesPodCache(
        { podsUrl: `http://127.0.0.1:${(plain.address() as AddressInfo).port}/pods`, tokenFile: null, caFile: null, cacheTtlMs: 60_000, timeoutMs: 2_000 },
        { now: () => 0 },
      );
      const found = await pods.lookup({ uids: ["7979cfcd-0751-11e8-a2b8-000c29dea4f6"], names: ["kube-system/kube-proxy-rnd5q"] });
      expect(found.byUid.get("7979cfcd-0751-11e8-a2b8-000c29dea4f6")?.workload).toEqual({ kind: "Deployment", name: "nginx" });
      expect(found.byName.get("kube-system/kube-proxy-rnd5q")?.workload).toEqual({ kind: "DaemonSet", name: "kube-proxy" });
      expect(seen).toEqual([undefined]);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});
