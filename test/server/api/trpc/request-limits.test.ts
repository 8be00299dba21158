import { describe, expect, it } from "vitest";
import { limitTrpcRequest, MAX_TRPC_BODY_BYTES, trpcCallCount } from "../../../../server/api/trpc/request-limits";

const url = (text: string) => new URL(`http://gpu-roi.test${text}`);

describe("trpcCallCount", () => {
  it("counts the procedures of a batch, commas spelled %2C included", () => {
    expect(trpcCallCount(url("/api/trpc/overview.get,allocation.get,allocation.get?batch=1&input={}"), "/api/trpc")).toBe(3);
    expect(trpcCallCount(url("/api/trpc/overview.get%2Callocation.get?batch=1"), "/api/trpc")).toBe(2);
  });

  it("counts one call without batch=1, and for a path that cannot be decoded", () => {
    expect(trpcCallCount(url("/api/trpc/overview.get,allocation.get"), "/api/trpc")).toBe(1);
    expect(trpcCallCount(url("/api/trpc/%ff?batch=1"), "/api/trpc")).toBe(1);
  });
});

describe("limitTrpcRequest", () => {
  it("refuses a body that declares more than the limit before reading it", async () => {
    const request = new Request("http://gpu-roi.test/api/trpc/prices.add", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(MAX_TRPC_BODY_BYTES + 1) },
      body: "{}",
    });
    const limited = await limitTrpcRequest(request, "/api/trpc");
    expect(limited).toBeInstanceOf(Response);
    expect((limited as Response).status).toBe(413);
  });

  it("refuses a streamed body once it passes the limit, without reading the rest", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const request = new Request("http://gpu-roi.test/api/trpc/prices.add", { method: "POST", body, duplex: "half" } as RequestInit);
    const limited = (await limitTrpcRequest(request, "/api/trpc")) as Response;
    expect(limited.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(MAX_TRPC_BODY_BYTES / (64 * 1024) + 2);
  });

  it("passes a body within the limit on unchanged", async () => {
    const request = new Request("http://gpu-roi.test/api/trpc/prices.add", { method: "POST", headers: { "content-type": "application/json" }, body: '{"gpuModel":"L40S"}' });
    const limited = (await limitTrpcRequest(request, "/api/trpc")) as Request;
    expect(limited).toBeInstanceOf(Request);
    expect(limited.headers.get("content-type")).toBe("application/json");
    expect(await limited.text()).toBe('{"gpuModel":"L40S"}');
  });

  it("refuses a body that is not JSON with 400", async () => {
    const request = new Request("http://gpu-roi.test/api/trpc/prices.add", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    const limited = (await limitTrpcRequest(request, "/api/trpc")) as Response;
    expect(limited.status).toBe(400);
  });
});
