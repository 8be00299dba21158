/**
 * Walks every route a person can read through — each tRPC procedure of the
 * router, each REST route file under app/api (called as Next.js calls it), the
 * CSV exports — signed in as a member of team "vision", and proves no answer
 * carries team "nlp"'s rows. An analyst's answers to the same requests carry
 * them (so the walk is not passing on empty data). Pages read only through
 * these procedures (checked below), so they are covered by the same walk; the
 * browser suite signs in on the pages themselves.
 *
 *   node-1 (2 x A100, $2/GPU-hour): GPU 0 vision-train-1 (team vision, experiment vision-exp)
 *                                   GPU 1 nlp-serve-1    (team nlp,    experiment nlp-exp)
 *   recommendations: right-size vision-train-1; right-size nlp-serve-1
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrpcContext } from "../../server/api/trpc/init";
import { appRouter, createCaller } from "../../server/api/trpc/root";
import type { Principal } from "../../server/auth/principal";
import { createSession, SESSION_COOKIE } from "../../server/auth/session-store";
import { setBudget } from "../../server/services/budget-service";
import { addPriceEntry } from "../../server/services/price-book-service";
import { ingestSmallFleet } from "../support/small-fleet";
import { serveRouteFilesFrom } from "../support/route-files-with-sign-in";
import { databaseKinds, PROJECT_ROOT, type TestDatabase } from "../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const NOW_MS = T0_MS + 3 * HOUR_MS;
const WINDOW = `${new Date(T0_MS).toISOString()},${new Date(T0_MS + 2 * HOUR_MS).toISOString()}`;
const OTHER_TEAM = /nlp/i;
/** In a refusal, only what no input names: a refusal may quote the name the member asked for. */
const OTHER_TEAM_DATA = /nlp-serve-1/i;

const MEMBER: Principal = { kind: "session", subject: "carol", displayName: "Carol Vision", role: "member", teams: ["vision"] };
const ANALYST: Principal = { kind: "session", subject: "bob", displayName: "Bob Analyst", role: "analyst", teams: [] };

/** A sample input for every procedure of the router; a procedure missing here fails the walk. */
const PROCEDURE_INPUTS: Record<string, { input: unknown; showsTeams: boolean }> = {
  "overview.get": { input: { window: WINDOW }, showsTeams: false },
  "allocation.get": { input: { window: WINDOW, aggregate: "team,job,experiment" }, showsTeams: true },
  "estimate.get": { input: { likeExperiment: "nlp-exp" }, showsTeams: false },
  "fleet.getUtilizationHeatmap": { input: { window: "24h" }, showsTeams: false },
  "recommendations.list": { input: {}, showsTeams: true },
  "recommendations.summary": { input: { state: "open" }, showsTeams: true },
  "recommendations.run": { input: { lookbackDays: 1 }, showsTeams: false },
  "recommendations.setState": { input: { id: 1, state: "dismissed" }, showsTeams: false },
  "recommendations.fleetPlan": { input: {}, showsTeams: false },
  "recommendations.runStatus": { input: {}, showsTeams: false },
  "nodeTokens.list": { input: {}, showsTeams: false },
  "nodeTokens.issue": { input: { cluster: "lab", hostname: "walk-node" }, showsTeams: false },
  "nodeTokens.revoke": { input: { id: 1 }, showsTeams: false },
  "prices.list": { input: {}, showsTeams: false },
  "prices.add": { input: { gpuModel: "X", costPerGpuHour: 1, effectiveFrom: "2026-11-01T00:00:00Z" }, showsTeams: false },
  "retention.get": { input: {}, showsTeams: false },
  "experiments.list": { input: { window: WINDOW }, showsTeams: true },
  "experiments.get": { input: { window: WINDOW, experiment: "nlp-exp" }, showsTeams: true },
  // No work counters in this fleet, so no unit-cost rows for anyone: the member's answer is still walked.
  "unitCosts.get": { input: { window: WINDOW, aggregate: "team" }, showsTeams: false },
  // Budgets on both teams are set below: a member sees their team's alone.
  "budgets.list": { input: {}, showsTeams: true },
  "budgets.set": { input: { scopeKind: "team", scopeValue: "nlp", period: "month", amount: 1 }, showsTeams: false },
  "budgets.delete": { input: { id: "1" }, showsTeams: false },
  "alerts.listRules": { input: {}, showsTeams: false },
  "alerts.createRule": { input: { name: "walk", kind: "node-silent", config: {} }, showsTeams: false },
  "alerts.updateRule": { input: { id: 1, enabled: false }, showsTeams: false },
  "alerts.deleteRule": { input: { id: 1 }, showsTeams: false },
  "alerts.listEpisodes": { input: {}, showsTeams: false },
  "alerts.acknowledge": { input: { id: 1 }, showsTeams: false },
  "apiTokens.create": { input: { name: "walk", expiresInDays: 7 }, showsTeams: false },
  "apiTokens.list": { input: {}, showsTeams: false },
  "apiTokens.revoke": { input: { id: 1 }, showsTeams: false },
  "audit.list": { input: {}, showsTeams: false },
};

type RouteModule = Record<string, (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>>;

/** Requests for every REST route file (path under app/api); a file missing here fails the walk. */
const REST_REQUESTS: Record<string, { requests: { method: string; url: string; body?: unknown; params?: Record<string, string> }[]; showsTeams: boolean } | { skip: string }> = {
  "v1/allocation": {
    requests: [
      { method: "GET", url: `/api/v1/allocation?window=${WINDOW}&aggregate=team,job,experiment` },
      { method: "GET", url: `/api/v1/allocation?window=${WINDOW}&aggregate=job&format=csv` },
      { method: "GET", url: `/api/v1/allocation?window=${WINDOW}&aggregate=job&filter=team:nlp` },
    ],
    showsTeams: true,
  },
  "v1/unit-costs": {
    requests: [
      { method: "GET", url: `/api/v1/unit-costs?window=${WINDOW}&aggregate=team` },
      { method: "GET", url: `/api/v1/unit-costs?window=${WINDOW}&aggregate=job&format=csv` },
    ],
    showsTeams: false,
  },
  "v1/experiments": { requests: [{ method: "GET", url: `/api/v1/experiments?window=${WINDOW}` }], showsTeams: true },
  "v1/experiments/[experiment]": { requests: [{ method: "GET", url: `/api/v1/experiments/nlp-exp?window=${WINDOW}`, params: { experiment: "nlp-exp" } }], showsTeams: true },
  "v1/estimate": { requests: [{ method: "POST", url: "/api/v1/estimate", body: { likeExperiment: "nlp-exp" } }], showsTeams: false },
  "v1/recommendations": { requests: [{ method: "GET", url: "/api/v1/recommendations" }], showsTeams: true },
  "v1/recommendations/[id]/plan": { requests: [{ method: "GET", url: "/api/v1/recommendations/2/plan", params: { id: "2" } }], showsTeams: true },
  "v1/recommendations/fleet-plan": { requests: [{ method: "GET", url: "/api/v1/recommendations/fleet-plan" }], showsTeams: false },
  "v1/prices": { requests: [{ method: "GET", url: "/api/v1/prices" }], showsTeams: false },
  "v1/budgets": { requests: [{ method: "GET", url: "/api/v1/budgets" }], showsTeams: true },
  // Every team side by side: the member is refused (403), the analyst gets it.
  "v1/chargeback": { requests: [{ method: "GET", url: "/api/v1/chargeback?month=2026-11&format=csv" }], showsTeams: true },
  "v1/chargeback/email": { skip: "admin write: the admin token (requireAdmin)" },
  "v1/audit": { skip: "admin only (an admin's API token or the admin token): who changed what" },
  "trpc/[trpc]": {
    requests: [{ method: "GET", url: `/api/trpc/allocation.get?input=${encodeURIComponent(JSON.stringify({ window: WINDOW, aggregate: "job" }))}`, params: { trpc: "allocation.get" } }],
    showsTeams: true,
  },
  "v1/recommendations/[id]/state": { skip: "admin write: the admin token (requireAdmin), no rows read" },
  "v1/recommendations/run": { skip: "admin write: the admin token (requireAdmin), no rows read" },
  "v1/node-tokens": { skip: "admin only (requireAdmin): node tokens, no team rows" },
  "v1/node-tokens/[id]/revoke": { skip: "admin write: the admin token (requireAdmin)" },
  "v1/admin-session": { skip: "the break-glass admin session itself: no rows" },
  "v1/ingest": { skip: "node tokens write usage; answers no rows" },
  "v1/work": { skip: "node tokens write work counters; answers no rows" },
  "auth/login": { skip: "sign-in redirect (test/server/auth/oidc-sign-in.integration.test.ts)" },
  "auth/callback": { skip: "sign-in callback (test/server/auth/oidc-sign-in.integration.test.ts)" },
  "auth/logout": { skip: "sign-out (test/server/auth/oidc-sign-in.integration.test.ts)" },
  "auth/session": { skip: "the viewer's own name, role and teams" },
  health: { skip: "database reachability and migration state: no rows" },
  metrics: { skip: "this process's request and ingest counters (Prometheus): no rows" },
};

function routeFiles(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    return entry.isDirectory() ? routeFiles(full) : entry.name === "route.ts" ? [full] : [];
  });
}

const API_FOLDER = path.join(PROJECT_ROOT, "app", "api");
const ROUTES = routeFiles(API_FOLDER).map((file) => path.relative(API_FOLDER, path.dirname(file)).split(path.sep).join("/")).sort();

function procedurePaths(): string[] {
  return Object.keys((appRouter as unknown as { _def: { procedures: Record<string, unknown> } })._def.procedures).sort();
}

describe("the member route walk's tables", () => {
  it("name every tRPC procedure of the router and every REST route file", () => {
    expect(Object.keys(PROCEDURE_INPUTS).sort()).toEqual(procedurePaths());
    expect(Object.keys(REST_REQUESTS).sort()).toEqual(ROUTES);
  });

  it("leave pages no way to read but through the procedures: no page imports a service or the database", () => {
    const offenders: string[] = [];
    const walk = (folder: string) => {
      for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== "api") walk(full);
        } else if (/\.tsx?$/.test(entry.name) && /^import (?!type )[^;]*from "@\/server\/(services|db)\//m.test(fs.readFileSync(full, "utf8"))) offenders.push(path.relative(PROJECT_ROOT, full));
      }
    };
    walk(path.join(PROJECT_ROOT, "app"));
    expect(offenders).toEqual([]);
  });
});

describe.each(kinds)("a team member's reads on $name", ({ create, skipReason }) => {
  let db: TestDatabase;
  const cookies: Record<string, string> = {};
  let undoServe: (() => void) | undefined;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    await ingestSmallFleet(
      db,
      [
        {
          cluster: "lab",
          hostname: "node-1",
          gpuModel: "NVIDIA A100-SXM4-80GB",
          gpuCount: 2,
          memoryTotalMiB: 81_920,
          jobs: [
            { externalId: "vision-train-1", kind: "training", gpuIndexes: [0], utilizationPct: 80, memoryUsedMiB: 40_000, team: "vision", experiment: "vision-exp" },
            { externalId: "nlp-serve-1", kind: "training", gpuIndexes: [1], utilizationPct: 50, memoryUsedMiB: 30_000, team: "nlp", experiment: "nlp-exp" },
          ],
        },
      ],
      { fromMs: T0_MS, toMs: T0_MS + 2 * HOUR_MS, windowMs: 60_000 },
    );
    await addPriceEntry(db.prisma, { gpuModel: "NVIDIA A100-SXM4-80GB", costPerGpuHour: 2, effectiveFromMs: T0_MS - HOUR_MS }, T0_MS);
    for (const job of ["vision-train-1", "nlp-serve-1"]) {
      await db.prisma.recommendation.create({
        data: {
          kind: "right-sizing",
          subject: `right-sizing:lab/${job}`,
          title: `Right-size ${job}`,
          createdAtMs: BigInt(NOW_MS),
          windowStartMs: BigInt(T0_MS),
          windowEndMs: BigInt(NOW_MS),
          inputsJson: JSON.stringify({ affectedJobs: [job], affectedWorkloads: [{ cluster: "lab", externalId: job }] }),
          resultJson: JSON.stringify({ jobId: job, cluster: "lab", change: { kind: "fewer-gpus", gpuCount: 1 }, currentCostPerHour: 2, proposedCostPerHour: 1, monthlySaving: 100, reason: "low use" }),
          projectedMonthlySaving: job.startsWith("nlp") ? 500 : 100,
          currency: "USD",
          solveSeconds: 0,
          stateChangedAtMs: BigInt(NOW_MS),
        },
      });
    }
    for (const team of ["vision", "nlp"]) await setBudget(db.sql, db.prisma, { scopeKind: "team", scopeValue: team, period: "month", amount: 1_000 }, NOW_MS);
    cookies.member = await createSession(db.sql, MEMBER, { nowMs: Date.now(), expiresAtMs: Date.now() + HOUR_MS });
    cookies.analyst = await createSession(db.sql, ANALYST, { nowMs: Date.now(), expiresAtMs: Date.now() + HOUR_MS });
    // The route files run as in the server: its database is this test's, sign-in is on.
    undoServe = serveRouteFilesFrom(db, { GPU_ROI_TEAM_GROUPS: "team-vision:vision,team-nlp:nlp", GPU_ROI_ADMIN_TOKEN: "walk-admin-token" });
  });

  afterAll(async () => {
    undoServe?.();
    await db?.dispose();
  });

  const trpcCaller = (principal: Principal) =>
    createCaller({ db: db.sql, prisma: db.prisma, nowMs: () => NOW_MS, isAdmin: false, principal, runRecommendations: () => Promise.reject(new Error("must not run")) } as TrpcContext);

  async function callProcedure(principal: Principal, procedure: string): Promise<{ ok: boolean; text: string }> {
    const [router, name] = procedure.split(".");
    const caller = trpcCaller(principal) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
    try {
      return { ok: true, text: JSON.stringify(await caller[router][name](PROCEDURE_INPUTS[procedure].input)) };
    } catch (error) {
      return { ok: false, text: String((error as Error).message) };
    }
  }

  it.skipIf(skipReason)("gets no other team's rows from any tRPC procedure, where an analyst gets them", async () => {
    for (const procedure of procedurePaths()) {
      const member = await callProcedure(MEMBER, procedure);
      expect(member.text, `${procedure} answered the member with another team's data`).not.toMatch(member.ok ? OTHER_TEAM : OTHER_TEAM_DATA);
      if (PROCEDURE_INPUTS[procedure].showsTeams) {
        const analyst = await callProcedure(ANALYST, procedure);
        expect(analyst.ok, `${procedure} for the analyst: ${analyst.text}`).toBe(true);
        expect(analyst.text, `${procedure} shows the analyst the other team (the walk's control)`).toMatch(OTHER_TEAM);
      }
    }
  });

  it.skipIf(skipReason)("gets no other team's rows from any REST route or CSV export, where an analyst gets them", async () => {
    for (const route of ROUTES) {
      const entry = REST_REQUESTS[route];
      if ("skip" in entry) continue;
      const module = (await import(path.join(API_FOLDER, route, "route.ts"))) as RouteModule;
      for (const sample of entry.requests) {
        const call = async (who: "member" | "analyst") => {
          const request = new Request(`http://127.0.0.1:3000${sample.url}`, {
            method: sample.method,
            headers: { cookie: `${SESSION_COOKIE}=${cookies[who]}`, "sec-fetch-site": "same-origin", ...(sample.body ? { "content-type": "application/json" } : {}) },
            body: sample.body ? JSON.stringify(sample.body) : undefined,
          });
          const response = await module[sample.method](request, { params: Promise.resolve(sample.params ?? {}) });
          return { status: response.status, text: await response.text() };
        };
        const member = await call("member");
        // 400/404: the member asked about another team's experiment, which has nothing of theirs; 403: a report of every team.
        expect([200, 400, 403, 404], `${sample.method} ${sample.url} for the member: ${member.text.slice(0, 300)}`).toContain(member.status);
        expect(member.text, `${sample.method} ${sample.url} answered the member with another team's data`).not.toMatch(member.status === 200 ? OTHER_TEAM : OTHER_TEAM_DATA);
        if (entry.showsTeams) {
          const analyst = await call("analyst");
          expect(analyst.status, `${sample.method} ${sample.url} for the analyst: ${analyst.text.slice(0, 300)}`).toBe(200);
          if (!sample.url.includes("filter=team")) expect(analyst.text, `${sample.method} ${sample.url}: the walk's control`).toMatch(OTHER_TEAM);
        }
      }
    }
  });

  it.skipIf(skipReason)("shows the member their own team's rows and the fleet's totals", async () => {
    const allocation = (await trpcCaller(MEMBER).allocation.get({ window: WINDOW, aggregate: "team" })) as { rows: { name: string; totalCost: number }[]; fleetCost: number };
    expect(allocation.rows.map((row) => row.name)).toEqual(["vision"]);
    expect(allocation.rows[0].totalCost).toBeCloseTo(4, 6);
    expect(allocation.fleetCost).toBeCloseTo(8, 6);
    const recommendations = await trpcCaller(MEMBER).recommendations.list({});
    expect(recommendations.map((r) => r.title)).toEqual(["Right-size vision-train-1"]);
    const overview = await trpcCaller(MEMBER).overview.get({ window: WINDOW });
    expect(overview.fleet.gpuCount).toBe(2);
    expect(overview.busiest).toEqual([]);
    const heatmap = await trpcCaller(MEMBER).fleet.getUtilizationHeatmap({ window: "24h" });
    expect(heatmap).toMatchObject({ gpus: [], cells: [], perGpuHidden: true });
    expect((await trpcCaller(ANALYST).fleet.getUtilizationHeatmap({ window: "24h" })).perGpuHidden).toBeUndefined();
  });
});
