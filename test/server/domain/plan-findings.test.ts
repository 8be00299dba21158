import { describe, expect, it } from "vitest";
import { planFindings, planNodeRows, planWorkloadRows } from "../../../server/domain/plan-findings";
import { A100, H100, handBuiltPlan, handBuiltPlanInput } from "../../support/fleet-plans";

describe("planFindings", () => {
  it("makes one finding per plan action whose cash and capacity shares sum to the plan's saving", () => {
    const plan = handBuiltPlan();
    const findings = planFindings(plan, handBuiltPlanInput());
    expect(findings.map((f) => [f.kind, f.subject])).toEqual([
      ["pack", "plan:pack:east/a-2"],
      ["schedule", "plan:schedule:east/slurm-9"],
    ]);
    expect(findings.reduce((s, f) => s + f.projectedMonthlySaving, 0)).toBe(plan.saving.cashPerMonth);
    expect(findings.reduce((s, f) => s + f.result.capacityFreedGpuHoursPerMonth, 0)).toBe(plan.saving.capacityFreedGpuHoursPerMonth);
  });

  it("names every job of the workloads it touches, with their cluster, for the realized-saving measure", () => {
    const input = handBuiltPlanInput();
    input.workloads[0].jobIds = ["slurm-7", "slurm-8"];
    const [pack] = planFindings(handBuiltPlan(), input);
    expect(pack.inputs).toMatchObject({
      affectedJobs: ["slurm-7", "slurm-8"],
      affectedWorkloads: [
        { cluster: "east", externalId: "slurm-7" },
        { cluster: "east", externalId: "slurm-8" },
      ],
      cluster: "east",
      gpuModel: A100,
      costPerGpuHour: 2,
      drainedNodes: ["a-2"],
    });
    expect(pack.inputs.workloads[0]).not.toHaveProperty("heldGpusByHourOfWeek");
    expect(pack.baseline).toEqual({ before: { gpusByModel: { [A100]: 4 }, peakGpus: 4 }, after: { gpusByModel: { [A100]: 2 }, peakGpus: 2 } });
  });

  it("shows an owned GPU freed as capacity with zero cash, and assumed throughput as assumed", () => {
    const [, schedule] = planFindings(handBuiltPlan(), handBuiltPlanInput());
    expect(schedule.projectedMonthlySaving).toBe(0);
    expect(schedule.result).toMatchObject({ cashSavingPerMonth: 0, capacityFreedGpuHoursPerMonth: 365, throughput: "assumed" });
    expect(schedule.result.assignments.map((a) => a.workloadId)).toEqual(["slurm-9"]);
  });
});

describe("planWorkloadRows", () => {
  it("lists every workload with its shape today and under the plan, marking the excluded ones", () => {
    const input = { ...handBuiltPlanInput(), exclude: { workloads: ["east/service:ranker"] } };
    const rows = planWorkloadRows(handBuiltPlan(), input);
    expect(rows.map((r) => [r.key, r.excluded, r.to?.gpuCount ?? null])).toEqual([
      ["east/slurm-7", false, 1],
      ["east/service:ranker", true, null],
      ["east/slurm-9", false, 1],
    ]);
    expect(rows[1]).toMatchObject({ jobCount: 2, team: "search", kind: "latency-sensitive", from: { gpuModel: A100, gpuCount: 1 } });
  });
});

describe("planNodeRows", () => {
  it("lists every node with its price source and whether the plan drains it", () => {
    const rows = planNodeRows(handBuiltPlan(), { ...handBuiltPlanInput(), exclude: { nodes: ["east/h-1"] } });
    expect(rows.map((r) => [r.key, r.gpuModel, r.source, r.drained, r.excluded])).toEqual([
      ["east/a-1", A100, "cloud-on-demand", false, false],
      ["east/a-2", A100, "cloud-on-demand", true, false],
      ["east/h-1", H100, "on-prem-tco", false, true],
    ]);
  });
});
