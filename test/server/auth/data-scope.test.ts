import { describe, expect, it } from "vitest";
import { scopedAllocationFilter, teamScopeSql } from "../../../server/auth/data-scope";
import { ALL_DATA } from "../../../server/auth/principal";
import { fleetPlanInScope, touchesJobsInScope } from "../../../server/services/recommendation-scope";
import type { StoredFleetPlan } from "../../../server/services/fleet-plan-store";
import type { Recommendation } from "../../../server/services/recommendation-service";

const VISION = { kind: "teams" as const, teams: ["vision"] };

describe("scopedAllocationFilter", () => {
  it("keeps every filter for all data", () => {
    expect([...scopedAllocationFilter(new Map([["team", ["nlp"]]]), ALL_DATA)]).toEqual([["team", ["nlp"]]]);
  });

  it("narrows a member's team filter to their teams, and adds one when none was asked", () => {
    expect([...scopedAllocationFilter(new Map([["model", ["llm"]]]), VISION)]).toEqual([
      ["model", ["llm"]],
      ["team", ["vision"]],
    ]);
    expect(scopedAllocationFilter(new Map([["team", ["nlp", "vision"]]]), VISION).get("team")).toEqual(["vision"]);
    expect(scopedAllocationFilter(new Map([["team", ["nlp"]]]), VISION).get("team")).toEqual([]);
  });
});

describe("teamScopeSql", () => {
  it("adds nothing for all data, a placeholder per team for members, and matches nothing for no team", () => {
    expect(teamScopeSql(ALL_DATA, "j")).toEqual({ sql: "", params: [] });
    expect(teamScopeSql({ kind: "teams", teams: ["a", "b"] }, "j")).toEqual({ sql: " AND j.team IN (?, ?)", params: ["a", "b"] });
    expect(teamScopeSql({ kind: "teams", teams: [] }, "j")).toEqual({ sql: " AND 1 = 0", params: [] });
  });
});

describe("touchesJobsInScope", () => {
  const jobs = { workloads: new Set(["lab\u0000vision-1"]), externalIds: new Set(["vision-1"]) };
  const recommendation = (inputs: Recommendation["inputs"]) => ({ inputs }) as Recommendation;

  it("matches by cluster and job where the recommendation names both, by job id for older ones", () => {
    expect(touchesJobsInScope(recommendation({ affectedJobs: ["vision-1"], affectedWorkloads: [{ cluster: "lab", externalId: "vision-1" }] }), jobs)).toBe(true);
    // Same id in another cluster: not the member's job.
    expect(touchesJobsInScope(recommendation({ affectedJobs: ["vision-1"], affectedWorkloads: [{ cluster: "other", externalId: "vision-1" }] }), jobs)).toBe(false);
    expect(touchesJobsInScope(recommendation({ affectedJobs: ["vision-1"] }), jobs)).toBe(true);
    expect(touchesJobsInScope(recommendation({ affectedJobs: ["nlp-1"] }), jobs)).toBe(false);
  });
});

describe("fleetPlanInScope", () => {
  const plan = {
    id: 1,
    workloads: [
      { key: "lab/v", team: "vision" },
      { key: "lab/n", team: "nlp" },
      { key: "lab/x", team: null },
    ],
    nodes: [{ key: "lab/node-1" }],
    messages: ["lab/n stays"],
    exclude: { workloads: ["lab/v", "lab/n"], nodes: ["lab/node-1"] },
  } as unknown as StoredFleetPlan;

  it("shows all data the whole plan", () => {
    expect(fleetPlanInScope(plan, ALL_DATA)).toBe(plan);
  });

  it("shows a member the totals and only their own workloads: no nodes, messages or other exclusions", () => {
    const scoped = fleetPlanInScope(plan, VISION)!;
    expect(scoped.workloads.map((w) => w.key)).toEqual(["lab/v"]);
    expect(scoped.nodes).toEqual([]);
    expect(scoped.messages).toEqual([]);
    expect(scoped.exclude).toEqual({ workloads: ["lab/v"], nodes: [] });
    expect(fleetPlanInScope(null, VISION)).toBeNull();
  });
});
