import { describe, expect, it } from "vitest";
import { openKeyOf, planEpisodes } from "../../../server/domain/alert-episodes";
import type { AlertCondition } from "../../../server/domain/alert-rules";

const condition = (ruleId: number, subjectKey: string): AlertCondition => ({ ruleId, subjectKey, severity: "warning", title: `${ruleId} ${subjectKey}`, detail: {} });

describe("planEpisodes", () => {
  it("opens an episode for a new condition, holds an open one whose condition still holds, resolves one that cleared", () => {
    const open = [
      { id: 10, ruleId: 1, subjectKey: "job:1" },
      { id: 11, ruleId: 1, subjectKey: "job:2" },
    ];
    const plan = planEpisodes(open, [condition(1, "job:1"), condition(1, "job:3")], new Set([1]), new Set([1]));
    expect(plan.open.map((c) => c.subjectKey)).toEqual(["job:3"]);
    expect(plan.hold.map((h) => h.episodeId)).toEqual([10]);
    expect(plan.resolve).toEqual([{ episode: open[1], reason: "cleared" }]);
  });

  it("opens one episode when a rule reports the same subject twice", () => {
    expect(planEpisodes([], [condition(1, "node:4"), condition(1, "node:4")], new Set([1]), new Set([1])).open).toHaveLength(1);
  });

  it("keeps the episodes of a rule that could not be evaluated, and resolves those of a removed rule", () => {
    const open = [
      { id: 20, ruleId: 2, subjectKey: "team:a" },
      { id: 30, ruleId: 3, subjectKey: "node:1" },
    ];
    const plan = planEpisodes(open, [], new Set([2]), new Set<number>());
    expect(plan.resolve).toEqual([{ episode: open[1], reason: "rule-removed" }]);
    expect(plan.hold).toEqual([]);
  });

  it("keys open episodes by rule and subject", () => {
    expect(openKeyOf(7, "job:12")).toBe("7:job:12");
  });
});
