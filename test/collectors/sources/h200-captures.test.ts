import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseComputeAppsCsv, parseQueryGpuCsv } from "../../../collectors/sources/nvidia-smi-csv";
import { parsePmon, pmonKey } from "../../../collectors/sources/nvidia-smi-pmon";
import { parseNvidiaSmiXml } from "../../../collectors/sources/nvidia-smi-xml";

// Captured by gpu-roi on an H200 (driver 580.159.04) running two jobs on one GPU; see the fixtures README.
const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "nvidia-smi", "gpu-roi-h200");
const capture = (name: string) => readFileSync(path.join(fixturesDir, `linux-x86_64__nvidia-h200__580.159.04__${name}`), "utf8");
const H200_UUID = "GPU-3c1b5ee1-cd3f-527d-f8b9-a0895a41620c";

describe("parseNvidiaSmiXml", () => {
  it("reads an idle H200 with no processes", () => {
    const [gpu, ...others] = parseNvidiaSmiXml(capture("idle__q.xml"), "idle__q.xml").gpus;
    expect(others).toEqual([]);
    expect(gpu).toMatchObject({ uuid: H200_UUID, index: 0, modelName: "NVIDIA H200", memoryTotalMiB: 143771, migProfile: null, processes: [] });
  });

  it("reads the two processes sharing a busy H200 with their memory", () => {
    const [gpu] = parseNvidiaSmiXml(capture("busy__q.xml"), "busy__q.xml").gpus;
    expect(gpu).toMatchObject({ uuid: H200_UUID, memoryUsedMiB: 29891, utilizationGpuPct: 99 });
    expect(gpu.processes.map((process) => [process.pid, process.memoryUsedMiB])).toEqual([
      [486, 21130],
      [487, 8746],
    ]);
  });
});

describe("parseQueryGpuCsv", () => {
  it("reads the collector's own --query-gpu fields with header and units as printed by driver 580", () => {
    const [gpu] = parseQueryGpuCsv(capture("busy__query-gpu.csv"), { source: "busy__query-gpu.csv" });
    expect(gpu).toMatchObject({ uuid: H200_UUID, index: 0, modelName: "NVIDIA H200", memoryTotalMiB: 143771, memoryUsedMiB: 29891, utilizationGpuPct: 99, powerDrawW: 690.07 });
  });
});

describe("parseComputeAppsCsv", () => {
  it("puts both processes on the H200 by UUID", () => {
    const apps = parseComputeAppsCsv(capture("busy__compute-apps.csv"), { source: "busy__compute-apps.csv" });
    expect(apps).toEqual([
      { pid: 486, name: "python3", gpuUuid: H200_UUID, gpuName: null, memoryUsedMiB: 21130 },
      { pid: 487, name: "python3", gpuUuid: H200_UUID, gpuName: null, memoryUsedMiB: 8746 },
    ]);
  });
});

describe("parsePmon", () => {
  it("reads each sharing process's SM utilization from driver 580's pmon (with jpg and ofa columns)", () => {
    const utilization = parsePmon(capture("busy__pmon.txt"), "busy__pmon.txt");
    expect(utilization.get(pmonKey(0, 486))).toBe(74);
    expect(utilization.get(pmonKey(0, 487))).toBe(24);
  });
});
