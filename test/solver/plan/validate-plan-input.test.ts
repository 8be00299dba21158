import { describe, expect, it } from "vitest";
import { validatePlanInput } from "../../../solver/plan/validate-plan-input.ts";
import type { PlanInput } from "../../../solver/plan/types.ts";
import { node, planInput, price, workload } from "./plan-fixtures.ts";

const valid = () => planInput([node("n1", "A100", 4)], [workload("w", "A100", 2, [{ node: "n1", gpuIndexes: [0, 1] }])], [price("A100", 2)]);

describe("validatePlanInput", () => {
  it("accepts a consistent input", () => {
    expect(() => validatePlanInput(valid())).not.toThrow();
  });

  const cases: [string, (input: PlanInput) => void, string][] = [
    ["a workload on a model with no node in its cluster", (i) => (i.workloads[0].gpuModel = "H100"), "workloads[0].gpuModel: no node of H100 in cluster c1"],
    ["not 168 hourly values", (i) => (i.workloads[0].heldGpusByHourOfWeek = [1]), "workloads[0].heldGpusByHourOfWeek: needs 168 hourly values"],
    ["a negative number", (i) => (i.workloads[0].busyGpusP95 = -1), "workloads[0].busyGpusP95:"],
    ["a duplicate workload", (i) => i.workloads.push({ ...i.workloads[0] }), "workloads[1].id: c1/w appears twice"],
    ["a duplicate node", (i) => i.nodes.push({ ...i.nodes[0] }), "nodes[1].hostname: c1/n1 appears twice"],
    ["a node without a price", (i) => (i.prices = []), "nodes[0].gpuModel: no price for A100"],
    ["two currencies", (i) => i.prices.push({ ...price("A100", 3), currency: "EUR" }), "prices[1].currency: EUR differs from USD"],
    ["a current GPU the node does not have", (i) => (i.workloads[0].current[0].gpuIndexes = [0, 7]), "workloads[0].current[0].gpuIndexes[1]: n1 has GPUs 0..3"],
    ["a window that ends before it starts", (i) => Object.assign(i.workloads[0], { releaseSlot: 10, deadlineSlot: 5 }), "workloads[0].deadlineSlot: must be after releaseSlot 10"],
    ["an unknown excluded workload", (i) => (i.exclude = { workloads: ["c1/nope"] }), "exclude.workloads[0]: no workload c1/nope"],
  ];
  for (const [name, breakIt, message] of cases) {
    it(`names the field of ${name}`, () => {
      const input = valid();
      breakIt(input);
      expect(() => validatePlanInput(input)).toThrow(message);
    });
  }
});
