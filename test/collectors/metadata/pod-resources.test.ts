import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { decodeListPodResourcesResponse, listPodResources, readFields } from "../../../collectors/metadata/pod-resources";

/** Protobuf encoding of the kubelet's messages, written out here so the test does not trust the decoder to check itself. */
const varint = (value: number): number[] => {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return bytes;
};
const bytesField = (number: number, payload: Uint8Array | string): number[] => {
  const data = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return [...varint(number * 8 + 2), ...varint(data.length), ...data];
};
const varintField = (number: number, value: number): number[] => [...varint(number * 8), ...varint(value)];
const message = (...fields: number[][]) => new Uint8Array(fields.flat());

const device = (resourceName: string, ids: string[]) => message(bytesField(1, resourceName), ...ids.map((id) => bytesField(2, id)), bytesField(3, message(bytesField(1, message(varintField(1, 0))))));
const container = (name: string, devices: Uint8Array[], cpuIds: number[] = []) => message(bytesField(1, name), ...devices.map((item) => bytesField(2, item)), ...cpuIds.map((id) => varintField(3, id)));
const pod = (name: string, namespace: string, containers: Uint8Array[]) => message(bytesField(1, name), bytesField(2, namespace), ...containers.map((item) => bytesField(3, item)));

const RESPONSE = message(
  bytesField(1, pod("llama-ft-worker-0", "nlp-research", [container("pytorch", [device("nvidia.com/gpu", ["GPU-0c2f7c36-7f3e-5b44-1a8a-7d2f3f0e5c11", "GPU-9a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"])], [2, 3])])),
  bytesField(1, pod("jupyter-ana-0", "notebooks", [container("notebook", [device("nvidia.com/gpu", ["GPU-5d6e7f80-9a1b-2c3d-4e5f-6a7b8c9d0e1f"])]), container("sidecar", [])])),
);

describe("decodeListPodResourcesResponse", () => {
  it("reads pods, containers and device ids, skipping fields it does not use (cpu_ids, topology)", () => {
    expect(decodeListPodResourcesResponse(RESPONSE)).toEqual([
      {
        name: "llama-ft-worker-0",
        namespace: "nlp-research",
        containers: [{ name: "pytorch", devices: [{ resourceName: "nvidia.com/gpu", deviceIds: ["GPU-0c2f7c36-7f3e-5b44-1a8a-7d2f3f0e5c11", "GPU-9a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"] }] }],
      },
      {
        name: "jupyter-ana-0",
        namespace: "notebooks",
        containers: [
          { name: "notebook", devices: [{ resourceName: "nvidia.com/gpu", deviceIds: ["GPU-5d6e7f80-9a1b-2c3d-4e5f-6a7b8c9d0e1f"] }] },
          { name: "sidecar", devices: [] },
        ],
      },
    ]);
  });

  it("refuses a message cut short", () => {
    expect(() => readFields(RESPONSE.subarray(0, RESPONSE.length - 3))).toThrow(/past the end of the message/);
  });
});

describe("listPodResources", () => {
  let dir: string | null = null;
  let server: http2.Http2Server | null = null;

  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
    server = null;
    dir = null;
  });

  /** A gRPC server on a unix socket, as the kubelet serves pod-resources. */
  const serve = async (answer: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void): Promise<string> => {
    dir = mkdtempSync(path.join(tmpdir(), "gpu-roi-podres-"));
    const socket = path.join(dir, "kubelet.sock");
    server = http2.createServer();
    server.on("stream", (stream, headers) => {
      stream.on("data", () => undefined);
      stream.on("end", () => answer(stream, headers));
    });
    await new Promise<void>((resolve) => server!.listen(socket, resolve));
    return socket;
  };

  it("calls v1.PodResourcesLister/List over gRPC on the kubelet's socket", async () => {
    const seen: http2.IncomingHttpHeaders[] = [];
    const socket = await serve((stream, headers) => {
      seen.push(headers);
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const frame = Buffer.alloc(5 + RESPONSE.length);
      frame.writeUInt32BE(RESPONSE.length, 1);
      frame.set(RESPONSE, 5);
      stream.end(frame);
    });
    const pods = await listPodResources(socket, { timeoutMs: 2_000 });
    expect(pods.map((item) => `${item.namespace}/${item.name}`)).toEqual(["nlp-research/llama-ft-worker-0", "notebooks/jupyter-ana-0"]);
    expect(seen[0][":path"]).toBe("/v1.PodResourcesLister/List");
    expect(seen[0]["content-type"]).toBe("application/grpc");
  });

  it("reports the gRPC status of a refused call", async () => {
    const socket = await serve((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "7", "grpc-message": "permission%20denied" }, { endStream: true });
    });
    await expect(listPodResources(socket, { timeoutMs: 2_000 })).rejects.toThrow(`${socket}: /v1.PodResourcesLister/List: gRPC status 7 (permission denied)`);
  });

  it("fails with the socket's name when nothing listens there", async () => {
    await expect(listPodResources("/nonexistent/kubelet.sock", { timeoutMs: 2_000 })).rejects.toThrow(/^\/nonexistent\/kubelet\.sock: .*ENOENT/);
  });
});
