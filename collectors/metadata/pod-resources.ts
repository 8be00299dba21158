/**
 * GPU → pod from the kubelet's pod-resources API (what dcgm-exporter reads):
 * `v1.PodResourcesLister/List` over gRPC on the unix socket
 * /var/lib/kubelet/pod-resources/kubelet.sock. It names, for each pod, the
 * device ids the device plugins gave it: for nvidia.com/gpu these are GPU
 * UUIDs, so a pod that holds GPUs without running anything on them is seen.
 *
 * gRPC is HTTP/2 with length-prefixed protobuf messages. The request is empty
 * and only four small messages of the response are read, so this speaks the
 * protocol with node:http2 and a protobuf reader of ~60 lines rather than
 * bundling @grpc/grpc-js and a .proto compiler. Unknown fields are skipped, as
 * protobuf requires, so newer kubelets (cpu_ids, memory, dynamic_resources)
 * read the same.
 */
import http2 from "node:http2";
import net from "node:net";

export const DEFAULT_POD_RESOURCES_SOCKET = "/var/lib/kubelet/pod-resources/kubelet.sock";
const LIST_PATH = "/v1.PodResourcesLister/List";

export interface ContainerDevices {
  resourceName: string;
  deviceIds: string[];
}

export interface PodDevices {
  namespace: string;
  name: string;
  containers: { name: string; devices: ContainerDevices[] }[];
}

/** A protobuf field: its number, and its bytes (length-delimited) or number (varint, fixed). */
interface Field {
  number: number;
  bytes: Uint8Array | null;
}

function readVarint(buffer: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let position = offset;
  for (;;) {
    if (position >= buffer.length) throw new Error("truncated varint");
    const byte = buffer[position++];
    // Lengths and tags fit in 2^53; multiply instead of shifting past 32 bits.
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: position };
    shift += 7;
    if (shift > 63) throw new Error("varint longer than 10 bytes");
  }
}

/** The fields of one protobuf message, in order. */
export function readFields(buffer: Uint8Array): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const tag = readVarint(buffer, offset);
    offset = tag.next;
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (wireType === 0) {
      offset = readVarint(buffer, offset).next;
      fields.push({ number, bytes: null });
    } else if (wireType === 1 || wireType === 5) {
      offset += wireType === 1 ? 8 : 4;
      fields.push({ number, bytes: null });
    } else if (wireType === 2) {
      const length = readVarint(buffer, offset);
      const end = length.next + length.value;
      if (end > buffer.length) throw new Error(`field ${number}: length ${length.value} past the end of the message`);
      fields.push({ number, bytes: buffer.subarray(length.next, end) });
      offset = end;
    } else {
      throw new Error(`field ${number}: unsupported wire type ${wireType}`);
    }
  }
  if (offset > buffer.length) throw new Error("message truncated");
  return fields;
}

const decoder = new TextDecoder();
const strings = (fields: Field[], number: number) => fields.filter((field) => field.number === number && field.bytes).map((field) => decoder.decode(field.bytes!));
const messages = (fields: Field[], number: number) => fields.filter((field) => field.number === number && field.bytes).map((field) => readFields(field.bytes!));

/** Decodes a ListPodResourcesResponse (k8s.io/kubelet/pkg/apis/podresources/v1). */
export function decodeListPodResourcesResponse(message: Uint8Array): PodDevices[] {
  // ListPodResourcesResponse { repeated PodResources pod_resources = 1; }
  return messages(readFields(message), 1).map((pod) => ({
    // PodResources { string name = 1; string namespace = 2; repeated ContainerResources containers = 3; }
    name: strings(pod, 1)[0] ?? "",
    namespace: strings(pod, 2)[0] ?? "",
    containers: messages(pod, 3).map((container) => ({
      // ContainerResources { string name = 1; repeated ContainerDevices devices = 2; ... }
      name: strings(container, 1)[0] ?? "",
      // ContainerDevices { string resource_name = 1; repeated string device_ids = 2; TopologyInfo topology = 3; }
      devices: messages(container, 2).map((device) => ({ resourceName: strings(device, 1)[0] ?? "", deviceIds: strings(device, 2) })),
    })),
  }));
}

/** The messages of a gRPC body: each a compressed flag byte, a 4-byte big-endian length, the message. */
export function splitGrpcMessages(body: Uint8Array): Uint8Array[] {
  const found: Uint8Array[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (offset + 5 > body.length) throw new Error("gRPC frame header truncated");
    if (body[offset] !== 0) throw new Error("gRPC message is compressed; no compression was offered");
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    if (offset + 5 + length > body.length) throw new Error("gRPC message truncated");
    found.push(body.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  return found;
}

/** Calls List on the kubelet's pod-resources socket. */
export function listPodResources(socketPath: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<PodDevices[]> {
  return new Promise((resolve, reject) => {
    const session = http2.connect("http://localhost", { createConnection: () => net.connect(socketPath) });
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: Error) => {
      clearTimeout(timer);
      session.destroy();
      reject(new Error(`${socketPath}: ${error.message}`));
    };
    session.on("error", fail);
    timer = setTimeout(() => fail(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = () => fail(new Error("aborted"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const stream = session.request({ ":method": "POST", ":path": LIST_PATH, "content-type": "application/grpc", te: "trailers" });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let statusMessage: string | undefined;
    const takeStatus = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) {
        status = String(headers["grpc-status"]);
        statusMessage = headers["grpc-message"] === undefined ? undefined : decodeURIComponent(String(headers["grpc-message"]));
      }
    };
    stream.on("response", takeStatus);
    stream.on("trailers", takeStatus);
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", fail);
    stream.on("end", () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      session.close();
      if (status !== "0") {
        reject(new Error(`${socketPath}: ${LIST_PATH}: gRPC status ${status ?? "missing"}${statusMessage ? ` (${statusMessage})` : ""}`));
        return;
      }
      try {
        resolve(splitGrpcMessages(Buffer.concat(chunks)).flatMap(decodeListPodResourcesResponse));
      } catch (error) {
        reject(new Error(`${socketPath}: ${LIST_PATH}: ${(error as Error).message}`));
      }
    });
    // An empty ListPodResourcesRequest: flag 0, length 0.
    stream.end(Buffer.alloc(5));
  });
}

/** A PodDeviceLister over the kubelet socket (see enrich.ts). */
export function podResourcesLister(socketPath: string, timeoutMs: number) {
  return { list: (signal?: AbortSignal) => listPodResources(socketPath, { timeoutMs, signal }) };
}
