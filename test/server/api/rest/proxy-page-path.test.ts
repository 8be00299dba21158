import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { proxy } from "../../../../proxy";

describe("proxy", () => {
  it("hands pages the path and query sign-in returns to, without Next's _rsc cache-buster and whatever the client sent under that name", () => {
    const response = proxy(new NextRequest("http://gpu-roi.test/costs?aggregate=team&_rsc=abc", { headers: { "x-gpu-roi-page-path": "//evil.example" } }));
    expect(response.headers.get("x-middleware-request-x-gpu-roi-page-path")).toBe("/costs?aggregate=team");
    const bare = proxy(new NextRequest("http://gpu-roi.test/fleet"));
    expect(bare.headers.get("x-middleware-request-x-gpu-roi-page-path")).toBe("/fleet");
  });

  it("leaves API requests without it", () => {
    const response = proxy(new NextRequest("http://gpu-roi.test/api/v1/allocation"));
    expect(response.headers.get("x-middleware-request-x-gpu-roi-page-path")).toBeNull();
  });
});
