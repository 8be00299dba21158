import { describe, expect, it } from "vitest";
import { createCaller } from "../../../../server/api/trpc/root";
import type { TrpcContext } from "../../../../server/api/trpc/init";
import { ServiceError } from "../../../../server/services/service-error";
import { OPEN_PRINCIPAL, type Principal } from "../../../../server/auth/principal";

const unusedDatabase = new Proxy({}, { get: () => () => Promise.reject(new Error("the database must not be reached")) });

describe("adminProcedure", () => {
  it("refuses state-changing procedures without the admin token, before touching the database", async () => {
    const caller = createCaller({ db: unusedDatabase, prisma: unusedDatabase, nowMs: () => 0, isAdmin: false, principal: OPEN_PRINCIPAL, runRecommendations: () => Promise.reject(new Error("must not run")) } as unknown as TrpcContext);
    await expect(caller.recommendations.run({ lookbackDays: 14 })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(caller.recommendations.setState({ id: 1, state: "accepted" } as never)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(caller.nodeTokens.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(caller.nodeTokens.issue({ cluster: "lab", hostname: "gpu-01" } as never)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(caller.nodeTokens.revoke({ id: 1 })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(caller.budgets.set({ scopeKind: "team", scopeValue: "search", period: "month", amount: 100 })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(caller.budgets.delete({ id: "1" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("adminProcedure with an admin session from another site", () => {
  it("answers FORBIDDEN naming the origin, before touching the database", async () => {
    const refusal = new ServiceError(403, "origin: the admin session is accepted only from gpu-roi's own pages (this request is cross-origin)", "origin");
    const caller = createCaller({ db: unusedDatabase, prisma: unusedDatabase, nowMs: () => 0, isAdmin: false, adminRefusal: refusal, runRecommendations: () => Promise.reject(new Error("must not run")) } as unknown as TrpcContext);
    await expect(caller.recommendations.run({ lookbackDays: 14 })).rejects.toMatchObject({ code: "FORBIDDEN", message: refusal.message });
  });
});

describe("adminProcedure for signed-in people who are not admins", () => {
  it("answers FORBIDDEN naming the role, before touching the database", async () => {
    const analyst: Principal = { kind: "session", subject: "u-1", displayName: "Ana Lyst", role: "analyst", teams: [] };
    const member: Principal = { kind: "session", subject: "u-2", displayName: "Mem Ber", role: "member", teams: ["vision"] };
    for (const principal of [analyst, member]) {
      const caller = createCaller({ db: unusedDatabase, prisma: unusedDatabase, nowMs: () => 0, isAdmin: false, principal, runRecommendations: () => Promise.reject(new Error("must not run")) } as unknown as TrpcContext);
      await expect(caller.prices.add({} as never)).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.recommendations.setState({ id: 1, state: "accepted" })).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining(principal.displayName) });
      await expect(caller.nodeTokens.list({})).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
  });
});

describe("publicProcedure without a principal", () => {
  it("answers UNAUTHORIZED to every read, before touching the database", async () => {
    const refusal = new ServiceError(401, "authorization: sign in at /api/auth/login, or send Authorization: Bearer <API token>", "authorization");
    const caller = createCaller({ db: unusedDatabase, prisma: unusedDatabase, nowMs: () => 0, isAdmin: false, principal: null, adminRefusal: refusal, runRecommendations: () => Promise.reject(new Error("must not run")) } as unknown as TrpcContext);
    await expect(caller.prices.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED", message: refusal.message });
    await expect(caller.recommendations.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(caller.retention.get({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
