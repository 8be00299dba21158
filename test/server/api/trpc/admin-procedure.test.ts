import { describe, expect, it } from "vitest";
import { createCaller } from "../../../../server/api/trpc/root";
import type { TrpcContext } from "../../../../server/api/trpc/init";
import { ServiceError } from "../../../../server/services/service-error";

const unusedDatabase = new Proxy({}, { get: () => () => Promise.reject(new Error("the database must not be reached")) });

describe("adminProcedure", () => {
  it("refuses state-changing procedures without the admin token, before touching the database", async () => {
    const caller = createCaller({ db: unusedDatabase, prisma: unusedDatabase, nowMs: () => 0, isAdmin: false, runRecommendations: () => Promise.reject(new Error("must not run")) } as unknown as TrpcContext);
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
