/**
 * Exported plans with hostile job ids, pod names, namespaces, hostnames and
 * cluster names, run with sh against stub kubectl/scontrol/sbatch that log their
 * argv: no injected command runs, and every command receives each hostile value
 * as one intact argument.
 */
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { exportPlan } from "../../server/services/plan-export";
import type { PackedNode, PackedWorkload, Recommendation } from "../../server/services/recommendation-service";
import type { Placement } from "../../solver/packing/types";
import type { RightSizingRecommendation } from "../../solver/right-sizing";
import type { TidalPlan } from "../../solver/tidal/plan";
import { createStubCommands, SHELLS, type StubCall } from "../support/stub-commands";

const stubs = createStubCommands();
afterAll(() => stubs.dispose());

/** Ways out of a comment line, a quoted word or a JSONPath literal, each trying to create the marker file. */
function hostileValues(marker: string): string[] {
  const touch = `touch ${marker}`;
  return [
    `gpu-9\n${touch}\n`,
    `gpu-9\r\n${touch}`,
    `gpu-9\u2028${touch}`,
    `x'; ${touch}; echo '`,
    `x"; ${touch}; echo "`,
    `$(${touch})`,
    `\`${touch}\``,
    `x; ${touch}`,
    `x && ${touch}`,
    `x | ${touch}`,
    `x\\'$(${touch})\\`,
    `x")]}{end}'$(${touch})'{range .items[?(@.x=="`,
  ];
}

const BASE = {
  state: "open" as const,
  createdAtMs: Date.UTC(2026, 10, 4),
  windowStartMs: Date.UTC(2026, 10, 2),
  windowEndMs: Date.UTC(2026, 10, 4),
  stateChangedAtMs: Date.UTC(2026, 10, 4),
  appliedAtMs: null,
  realized: null,
  planId: null,
  capacityFreedGpuHoursPerMonth: null,
  rentEquivalentPerMonth: null,
  projectedMonthlySaving: 1460,
  bound: null,
  baseline: null,
  solveSeconds: 0.1,
};

/**
 * A packing recommendation in a hostile cluster: every workload moves from node
 * `from` to node `to`; the hostile hosts are left empty (cordon and drain).
 */
function packingRecommendation(cluster: string, externalIds: readonly string[], hosts: readonly string[], currency: string): Recommendation {
  const node = (hostname: string): PackedNode => ({ id: hostname, cluster, hostname, model: "A100", gpuCount: 8 });
  const nodes = [node("to"), ...hosts.map(node)];
  const workloads: PackedWorkload[] = externalIds.map((externalId, i) => ({
    id: `w${i}`,
    cluster,
    externalId,
    gpuCount: 1,
    gpuMilli: 500,
    kind: "batch",
    current: { node: hosts[i % hosts.length], gpuIndexes: [i % 8] },
  }));
  const best: Placement = {
    method: "column-generation",
    assignments: workloads.map((w, i) => ({ workload: w.id, node: "to", gpuIndexes: [i % 8], gpuMilli: 500 })),
    unplaced: [],
    gpusUsed: 8,
    nodesUsed: 1,
    costPerHour: 16,
    placedDemandShare: 1,
    moves: workloads.length,
    interferencePenalty: 0,
  };
  return {
    ...BASE,
    id: 7,
    kind: "packing",
    subject: `packing:${cluster}/A100`,
    title: `Pack ${workloads.length} workloads on A100 in ${cluster}`,
    currency,
    inputs: { affectedJobs: [...externalIds], affectedWorkloads: externalIds.map((externalId) => ({ cluster, externalId })), cluster, gpuModel: "A100", workloads, nodes },
    result: { status: "optimal", best, gpusFreed: 1, nodesFreed: hosts.length },
  };
}

function rightSizingRecommendation(cluster: string, externalId: string, gpuModel: string): Recommendation {
  const result: RightSizingRecommendation & { cluster: string } = {
    jobId: externalId,
    cluster,
    change: { kind: "smaller-model", gpuModel, gpuCount: 1 },
    currentCostPerHour: 4,
    proposedCostPerHour: 1,
    monthlySaving: 100,
    reason: `held by ${externalId}`,
  };
  return { ...BASE, id: 8, kind: "right-sizing", subject: `right-sizing:${cluster}/${externalId}`, title: `Right-size ${externalId} (${cluster})`, currency: "USD", inputs: { affectedJobs: [externalId], affectedWorkloads: [{ cluster, externalId }] }, result };
}

function tidalRecommendation(cluster: string, externalIds: readonly string[], queue: string): Recommendation {
  const batchJobs = externalIds.map((externalId, i) => ({ id: `k${i}`, cluster, externalId, queue, gpuHours: 10, maxParallelGpus: 1, releaseSlot: 0, deadlineSlot: 168 }));
  const plan: TidalPlan = {
    peakGpus: 4,
    hourly: [],
    perJob: batchJobs.map((job) => ({ id: job.id, scheduledGpuHours: 10, unfinishedGpuHours: 0 })),
    baselines: { reserveInferencePeak: 5, nightWindow: 5 },
    gpusSavedAtPeak: { vsReservePeak: 1, vsNightWindow: 1 },
    utilization: { beforePct: 50, afterPct: 60 },
    guidance: [`run queue ${queue} between 22:00 and 06:00 with up to 2 GPUs`],
    seconds: 0.01,
  };
  return { ...BASE, id: 9, kind: "tidal", subject: "tidal:fleet", title: "Tidal schedule", currency: "USD", inputs: { affectedJobs: [...externalIds], batchJobs }, result: plan };
}

/** A fleet plan's pack action whose cluster, workload, hostnames and GPU model are all `value`. */
function planActionRecommendation(value: string): Recommendation {
  const shape = (gpuCount: number, gpuMilli: number) => ({ gpuModel: value, gpuCount, gpuMilli });
  const jobIds = ["slurm-7", `pod-${value}`];
  const assignment = { workloadId: value, cluster: value, jobIds, team: value, from: shape(2, 1000), to: shape(1, 500), placement: [{ node: `${value}-to`, gpuIndexes: [1] }], gpusByHourOfWeek: [], throughput: "assumed" as const };
  const workload = { id: value, cluster: value, jobIds, team: value, project: null, kind: "batch" as const, gpuModel: value, gpuCount: 2, current: [{ node: value, gpuIndexes: [0, 1] }], busyGpusP95: 0.2, memoryPerGpuP99MiB: 1000, evidence: { hoursObserved: 3 } };
  return {
    ...BASE,
    id: 11,
    kind: "pack",
    subject: `plan:pack:${value}`,
    title: `Pack ${value}`,
    currency: "USD",
    planId: 1,
    capacityFreedGpuHoursPerMonth: 730,
    inputs: { affectedJobs: jobIds, affectedWorkloads: jobIds.map((externalId) => ({ cluster: value, externalId })), cluster: value, gpuModel: value, costPerGpuHour: 2, workloads: [workload], drainedNodes: [value] },
    result: { action: { hoursOfWeek: [1, 2], drainedNodes: [value] }, assignments: [assignment], cashSavingPerMonth: 1460, capacityFreedGpuHoursPerMonth: 730, rentEquivalentPerMonth: null, throughput: "assumed" },
  };
}

function scriptOf(recommendation: Recommendation): string {
  return `${exportPlan(recommendation).shell.join("\n")}\n`;
}

/** Every line is a comment or one of the commands the export writes: nothing else can have got onto a line of its own. */
function expectOnlyCommentsAndHints(script: string): void {
  for (const line of script.split("\n").filter((l) => l !== "")) expect(line).toMatch(/^(# |kubectl |scontrol )/);
}

const hostile = hostileValues(stubs.markerPath);
const SAFE_UID = "5a1c3e9e-0000-4000-8000-000000000001";

describe.each(SHELLS)("exportPlan run with %s against stub kubectl and scontrol", (shell) => {
  it("packing: hostile pod names, namespaces, pod UIDs, job ids, hostnames and cluster run nothing and reach each command whole", () => {
    const externalIds = [
      ...hostile.map((value) => `k8s-${value.replace(/\//g, "")}/${value}`),
      ...hostile.map((value) => `pod-${value}`),
      ...hostile.map((value) => `slurm-1001${value}`),
      ...hostile,
      `pod-${SAFE_UID}`,
      "slurm-1001",
    ];
    const recommendation = packingRecommendation(hostile[0], externalIds, hostile, hostile[3]);
    const script = scriptOf(recommendation);
    expectOnlyCommentsAndHints(script);
    const { calls, status, stderr } = stubs.run(script, shell);
    expect(existsSync(stubs.markerPath)).toBe(false);
    expect(stderr).toBe("");
    expect(status).toBe(0);

    // Values with a line break get no command at all; the rest reach the commands whole.
    const oneLine = hostile.filter((value) => !/[\r\n\u2028]/.test(value));
    expect(oneLine.length).toBeGreaterThan(6);
    const expected: StubCall[] = [];
    for (const value of oneLine) expected.push(["kubectl", "get", "pod", "-n", value.replace(/\//g, ""), value, "-o", "wide"]);
    // Pod UIDs with characters no UID has get no kubectl command; the real one does.
    expected.push(["kubectl", "get", "pods", "-A", "-o", `jsonpath={range .items[?(@.metadata.uid=="${SAFE_UID}")]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}`]);
    // Only slurm-<digits> is a Slurm job: slurm-1001<anything> is not job 1001.
    expected.push(["scontrol", "requeue", "1001"], ["scontrol", "update", "JobId=1001", "NodeList=to"]);
    for (const host of [...oneLine].sort()) {
      expected.push(["kubectl", "cordon", host], ["scontrol", "update", `NodeName=${host}`, "State=DRAIN", "Reason=gpu-roi recommendation 7"]);
    }
    expect(calls).toEqual(expected);
  });

  it("right-sizing and tidal: hostile job ids, GPU models, queues and clusters stay in their comments", () => {
    for (const value of hostile) {
      for (const recommendation of [
        rightSizingRecommendation(value, `pod-${value}`, value),
        rightSizingRecommendation(value, `k8s-ns/${value}`, value),
        rightSizingRecommendation(value, "slurm-1001", value),
        rightSizingRecommendation(value, value, value),
        tidalRecommendation(value, ["slurm-1001", `slurm-1002${value}`, value], value),
      ]) {
        const script = scriptOf(recommendation);
        expectOnlyCommentsAndHints(script);
        const { calls, status } = stubs.run(script, shell);
        expect(existsSync(stubs.markerPath)).toBe(false);
        expect(status).toBe(0);
        const podNamedValue = /[\r\n\u2028]/.test(value) ? [] : [["kubectl", "get", "pod", "-n", "ns", value, "-o", "wide"]];
        expect(calls).toEqual(recommendation.kind === "right-sizing" && (recommendation.result as { jobId: string }).jobId === `k8s-ns/${value}` ? podNamedValue : []);
      }
    }
  });
});

describe.each(SHELLS)("exportPlan of a fleet plan action run with %s", (shell) => {
  it("hostile clusters, workloads, job ids and hostnames run nothing and reach each command whole", () => {
    for (const value of hostile) {
      const script = scriptOf(planActionRecommendation(value));
      expectOnlyCommentsAndHints(script);
      const { calls, status, stderr } = stubs.run(script, shell);
      expect(existsSync(stubs.markerPath)).toBe(false);
      expect({ status, stderr }).toEqual({ status: 0, stderr: "" });
      const oneLine = !/[\r\n\u2028]/.test(value);
      expect(calls).toEqual(
        oneLine
          ? [
              ["scontrol", "requeue", "7"],
              ["scontrol", "update", "JobId=7", `NodeList=${value}-to`],
              ["kubectl", "cordon", value],
              ["scontrol", "update", `NodeName=${value}`, "State=DRAIN", "Reason=gpu-roi recommendation 11"],
            ]
          : [],
      );
    }
  });
});

describe("exportPlan", () => {
  it("marks a plan action's capacity, assumed throughput and batch hours in its comments", () => {
    const script = scriptOf(planActionRecommendation("gpu-07"));
    expect(script).toContain("# capacity freed: 730 GPU-hours per month of owned or committed GPUs (not cash)");
    expect(script).toContain("# throughput on the new GPU model is ASSUMED");
    expect(script).toContain("# batch hours of the week (UTC): Mon 01-03");
    expect(script).toContain("# workload 'gpu-07' (2 replicas) in cluster 'gpu-07': 2 x gpu-07 -> 1 x gpu-07 (500/1000 of each)");
  });

  it("names each job's cluster and keeps hostile text on its comment line, visibly escaped", () => {
    const script = scriptOf(rightSizingRecommendation("west", "slurm-1001", "A100"));
    expect(script).toContain("# cluster 'west', slurm job 1001: held by slurm-1001");
    const hostileScript = scriptOf(rightSizingRecommendation("east\nrm -rf /", `pod-x\ntouch ${stubs.markerPath}`, "A100"));
    expect(hostileScript).toContain(`# cluster 'east\\nrm -rf /', pod 'x\\ntouch ${stubs.markerPath}': ask for 1 GPU(s) (smaller-model)`);
    expect(hostileScript).toContain("# its UID has characters a Kubernetes UID never has: no kubectl command for it; find the pod by hand");
  });

  it("still exports a packing stored before cluster keying (node ids host#<id>, workload ids <job>@<part>)", () => {
    const recommendation = packingRecommendation("east", ["slurm-5"], ["gpu-02#4"], "USD");
    const inputs = recommendation.inputs;
    delete inputs.cluster;
    inputs.nodes = (inputs.nodes as PackedNode[]).map(({ id }) => ({ id }));
    inputs.workloads = (inputs.workloads as PackedWorkload[]).map(({ cluster: _cluster, externalId: _externalId, ...solverWorkload }) => ({ ...solverWorkload, id: "slurm-5@0" }));
    (recommendation.result as { best: Placement }).best.assignments[0].workload = "slurm-5@0";
    expect(exportPlan(recommendation).shell.slice(3)).toEqual([
      "# slurm job 5: run on 'to' GPU 0 (now 'gpu-02' GPU 0)",
      "# a running Slurm job cannot move; requeue it onto the node:",
      "scontrol requeue '5' && scontrol update JobId='5' NodeList='to'",
      "# 'gpu-02' holds no workload in the plan: drain it to release its GPUs",
      "kubectl cordon 'gpu-02'",
      "scontrol update NodeName='gpu-02' State=DRAIN Reason='gpu-roi recommendation 7'",
    ]);
  });
});
