import { describe, expect, it } from "vitest";
import { isUnauthorizedError, makeQueryClient } from "../../../app/trpc/query-client";

/** The shape a tRPC client error has: its HTTP status under data. */
const trpcError = (httpStatus: number) => Object.assign(new Error("refused"), { data: { httpStatus } });

describe("isUnauthorizedError", () => {
  it("is true for a 401 tRPC error only", () => {
    expect(isUnauthorizedError(trpcError(401))).toBe(true);
    expect(isUnauthorizedError(trpcError(403))).toBe(false);
    expect(isUnauthorizedError(new Error("network"))).toBe(false);
    expect(isUnauthorizedError(null)).toBe(false);
  });
});

describe("makeQueryClient", () => {
  it("calls onUnauthorized when a query is refused with 401, not for other failures", async () => {
    const calls: string[] = [];
    const client = makeQueryClient(() => calls.push("unauthorized"));
    await client.fetchQuery({ queryKey: ["a"], queryFn: () => Promise.reject(trpcError(403)), retry: false }).catch(() => undefined);
    expect(calls).toEqual([]);
    await client.fetchQuery({ queryKey: ["b"], queryFn: () => Promise.reject(trpcError(401)), retry: false }).catch(() => undefined);
    expect(calls).toEqual(["unauthorized"]);
  });
});
