import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseDcgmExporterText, parsePrometheusText } from "../../../collectors/sources/dcgm-exporter";

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "nvidia-smi");
const readFixture = (relativePath: string) => readFileSync(path.join(fixturesDir, relativePath), "utf8");

const series = (name: string, labels: string, value: string) => `${name}{${labels}} ${value}`;

describe("parsePrometheusText", () => {
  it("skips comments and reads labels, values and timestamps", () => {
    const text = [
      "# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).",
      "# TYPE DCGM_FI_DEV_GPU_UTIL gauge",
      "# NOTE anything else",
      "",
      'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a"} 42 1700000000000',
      "DCGM_FI_DEV_COUNT 1",
      'DCGM_FI_DEV_POWER_USAGE{gpu="0", UUID="GPU-a",} NaN',
    ].join("\n");
    expect(parsePrometheusText(text, "metrics")).toEqual([
      { name: "DCGM_FI_DEV_GPU_UTIL", labels: { gpu: "0", UUID: "GPU-a" }, value: 42, timestampMs: 1700000000000, line: 5 },
      { name: "DCGM_FI_DEV_COUNT", labels: {}, value: 1, timestampMs: null, line: 6 },
      { name: "DCGM_FI_DEV_POWER_USAGE", labels: { gpu: "0", UUID: "GPU-a" }, value: Number.NaN, timestampMs: null, line: 7 },
    ]);
  });

  it("unescapes quotes, backslashes and newlines in label values", () => {
    const [sample] = parsePrometheusText('m{pod="a \\"b\\", c",path="C:\\\\x",msg="l1\\nl2"} 1', "metrics");
    expect(sample.labels).toEqual({ pod: 'a "b", c', path: "C:\\x", msg: "l1\nl2" });
  });

  it("names line and metric of a malformed value", () => {
    expect(() => parsePrometheusText('\nDCGM_FI_DEV_FB_USED{gpu="0"} 12x', "metrics.prom")).toThrow('metrics.prom line 2, field DCGM_FI_DEV_FB_USED: "12x" is not a number');
    expect(() => parsePrometheusText('DCGM_FI_DEV_FB_USED{gpu="0} 12', "metrics.prom")).toThrow(/metrics\.prom line 1, field DCGM_FI_DEV_FB_USED: unterminated value of label gpu/);
  });
});

describe("parseDcgmExporterText", () => {
  it("reads a real L4 scrape: total = used + free + reserved, profiling ratios as percent", () => {
    const { gpus, gpuDetails } = parseDcgmExporterText(readFixture("k8s-ai-conformance/kops-l4-dcgm-metrics.prom"), "kops-l4.prom");
    expect(gpus).toEqual([
      {
        uuid: "GPU-c2f76b33-7953-256e-8f33-1343419b1a1c",
        index: 0,
        modelName: "NVIDIA L4",
        memoryTotalMiB: 22563 + 0 + 470,
        memoryUsedMiB: 0,
        utilizationGpuPct: 0,
        smActivePct: null,
        powerDrawW: 16.365,
        migParentUuid: null,
        migProfile: null,
        processes: [],
      },
    ]);
    expect(gpuDetails).toEqual([
      {
        uuid: "GPU-c2f76b33-7953-256e-8f33-1343419b1a1c",
        hostname: "i-030791dc5a37cd257",
        driverVersion: "580.105.08",
        grEngineActivePct: 0,
        tensorActivePct: 0,
        totalEnergyConsumptionJ: 4742.776,
        workloads: [],
      },
    ]);
  });

  it("reads a real T4 under load without HELP/TYPE lines", () => {
    const { gpus, gpuDetails } = parseDcgmExporterText(readFixture("k8s-ai-conformance/ericsson-ccd-t4-dcgm-metrics.prom"), "t4.prom");
    expect(gpus[0]).toMatchObject({ modelName: "Tesla T4", utilizationGpuPct: 91, memoryUsedMiB: 5120, powerDrawW: 68.244 });
    expect(gpuDetails[0].grEngineActivePct).toBeCloseTo(15.6205, 6);
    expect(gpuDetails[0].tensorActivePct).toBeCloseTo(0.5822, 6);
    expect(gpuDetails[0].hostname).toBe("cp-bm14r7");
  });

  it("reads two GPUs from two hosts, using FB_TOTAL where used and free are missing", () => {
    const { gpus, gpuDetails } = parseDcgmExporterText(readFixture("integrations-core/metrics"), "metrics");
    expect(gpus.map((gpu) => [gpu.uuid, gpu.memoryTotalMiB, gpu.memoryUsedMiB, gpu.powerDrawW])).toEqual([
      ["GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e", 15109, 0, 8.969],
      ["GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5", 15109, null, null],
    ]);
    expect(gpuDetails.map((details) => details.hostname)).toEqual(["424773df46e0", "551bdf382151"]);
  });

  it("reads the hostname from Hostname (exporter 4.5 and earlier) or hostname (later)", () => {
    const text = [
      series("DCGM_FI_DEV_GPU_UTIL", 'gpu="0",UUID="GPU-a",modelName="NVIDIA A30",Hostname="node-a"', "1"),
      series("DCGM_FI_DEV_GPU_UTIL", 'gpu="1",UUID="GPU-b",modelName="NVIDIA A30",hostname="node-b"', "2"),
    ].join("\n");
    expect(parseDcgmExporterText(text, "metrics").gpuDetails.map((details) => details.hostname)).toEqual(["node-a", "node-b"]);
  });

  it("turns profiling ratios into percent, SM activity included", () => {
    const labels = 'gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3",Hostname="n"';
    const text = [
      series("DCGM_FI_PROF_SM_ACTIVE", labels, "0.425000"),
      series("DCGM_FI_PROF_GR_ENGINE_ACTIVE", labels, "0.9"),
      series("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", labels, "0.125"),
    ].join("\n");
    const { gpus, gpuDetails } = parseDcgmExporterText(text, "metrics");
    expect(gpus[0].smActivePct).toBeCloseTo(42.5, 10);
    // No DCGM_FI_DEV_GPU_UTIL: the engine-active ratio stands in for utilization.
    expect(gpus[0].utilizationGpuPct).toBeCloseTo(90, 10);
    expect(gpuDetails[0].tensorActivePct).toBeCloseTo(12.5, 10);
  });

  it("names no model when the scrape has no modelName label, never the device node", () => {
    const text = [
      series("DCGM_FI_DEV_GPU_UTIL", 'gpu="0",UUID="GPU-a",device="nvidia0",Hostname="n"', "12"),
      series("DCGM_FI_DEV_GPU_UTIL", 'gpu="1",UUID="GPU-b",device="nvidia1",DCGM_FI_DEV_NAME="NVIDIA H100 80GB HBM3",Hostname="n"', "7"),
    ].join("\n");
    expect(parseDcgmExporterText(text, "metrics").gpus.map((gpu) => gpu.modelName)).toEqual([null, "NVIDIA H100 80GB HBM3"]);
  });

  it("gives percentages scaled from ratios without floating-point noise", () => {
    const labels = 'gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"';
    const text = [series("DCGM_FI_PROF_GR_ENGINE_ACTIVE", labels, "0.995687"), series("DCGM_FI_PROF_SM_ACTIVE", labels, "0.287001")].join("\n");
    const [gpu] = parseDcgmExporterText(text, "metrics").gpus;
    // 0.995687 * 100 is 99.56869999999999 in binary floating point.
    expect(gpu.utilizationGpuPct).toBe(99.5687);
    expect(gpu.smActivePct).toBe(28.7001);
  });

  it("prefers DCGM_FI_DEV_GPU_UTIL over the engine-active ratio for utilization", () => {
    const labels = 'gpu="0",UUID="GPU-a"';
    const text = [series("DCGM_FI_DEV_GPU_UTIL", labels, "37"), series("DCGM_FI_PROF_GR_ENGINE_ACTIVE", labels, "0.9")].join("\n");
    expect(parseDcgmExporterText(text, "metrics").gpus[0].utilizationGpuPct).toBe(37);
  });

  it("groups MIG instances by (UUID, GPU_I_ID) and keeps the pod labels of each", () => {
    const gpuLabels = 'gpu="0",UUID="GPU-h100",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"';
    const mig = (gi: number, profile: string, pod: string) =>
      `${gpuLabels},GPU_I_PROFILE="${profile}",GPU_I_ID="${gi}",container="main",namespace="ml",pod="${pod}"`;
    const text = [
      series("DCGM_FI_DEV_POWER_USAGE", gpuLabels, "433.780000"),
      series("DCGM_FI_DEV_FB_USED", mig(2, "3g.40gb", "train-0"), "11091"),
      series("DCGM_FI_DEV_FB_FREE", mig(2, "3g.40gb", "train-0"), "29357"),
      series("DCGM_FI_PROF_GR_ENGINE_ACTIVE", mig(2, "3g.40gb", "train-0"), "0.5"),
      series("DCGM_FI_DEV_FB_USED", mig(9, "1g.10gb", "nb-1"), "9"),
      series("DCGM_FI_DEV_FB_USED", mig(9, "1g.10gb", "nb-2"), "9"),
      series("DCGM_FI_DEV_FB_FREE", mig(9, "1g.10gb", "nb-1"), "9975"),
    ].join("\n");
    const { gpus, gpuDetails } = parseDcgmExporterText(text, "metrics");
    expect(gpus.map((gpu) => [gpu.uuid, gpu.migParentUuid, gpu.migProfile, gpu.memoryTotalMiB, gpu.memoryUsedMiB, gpu.utilizationGpuPct, gpu.powerDrawW])).toEqual([
      ["GPU-h100", null, null, null, null, null, 433.78],
      ["MIG-GPU-h100/2/0", "GPU-h100", "3g.40gb", 40448, 11091, 50, null],
      ["MIG-GPU-h100/9/0", "GPU-h100", "1g.10gb", 9984, 9, null, null],
    ]);
    expect(gpuDetails.map((details) => details.workloads)).toEqual([
      [],
      [{ pod: "train-0", namespace: "ml", container: "main", hpcJob: null }],
      [
        { pod: "nb-1", namespace: "ml", container: "main", hpcJob: null },
        { pod: "nb-2", namespace: "ml", container: "main", hpcJob: null },
      ],
    ]);
  });

  it("keeps the hpc_job label for attribution", () => {
    const text = series("DCGM_FI_DEV_GPU_UTIL", 'gpu="3",UUID="GPU-a",modelName="NVIDIA A100-SXM4-80GB",Hostname="n",hpc_job="slurm-123"', "80");
    const { gpus, gpuDetails } = parseDcgmExporterText(text, "metrics");
    expect(gpus[0].index).toBe(3);
    expect(gpuDetails[0].workloads).toEqual([{ pod: null, namespace: null, container: null, hpcJob: "slurm-123" }]);
  });

  it("treats DCGM blank sentinels and NaN as absent", () => {
    const labels = 'gpu="0",UUID="GPU-a",modelName="Tesla T4"';
    const text = [
      series("DCGM_FI_DEV_GPU_UTIL", labels, "2147483632"),
      series("DCGM_FI_DEV_FB_USED", labels, "9223372036854775794"),
      series("DCGM_FI_DEV_POWER_USAGE", labels, "140737488355328.000000"),
      series("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", labels, "NaN"),
    ].join("\n");
    const { gpus, gpuDetails } = parseDcgmExporterText(text, "metrics");
    expect([gpus[0].utilizationGpuPct, gpus[0].memoryUsedMiB, gpus[0].powerDrawW, gpuDetails[0].totalEnergyConsumptionJ]).toEqual([null, null, null, null]);
  });

  it("leaves out series that are not about a GPU", () => {
    const text = ['DCGM_FI_DEV_NVSWITCH_TEMPERATURE{nvswitch="0"} 40', "go_goroutines 12", series("DCGM_FI_DEV_GPU_UTIL", 'gpu="0",UUID="GPU-a"', "5")].join("\n");
    expect(parseDcgmExporterText(text, "metrics").gpus.map((gpu) => gpu.uuid)).toEqual(["GPU-a"]);
  });
});
