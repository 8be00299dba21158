import { describe, expect, it } from "vitest";
import {
  amdSmiCommandOf,
  mergeAmdSmi,
  parseAmdSmiList,
  parseAmdSmiMetric,
  parseAmdSmiProcesses,
  parseAmdSmiStaticModels,
  parseRocmSmiJson,
} from "../../../collectors/sources/amd-smi";
import { parseCapture } from "../../../collectors/sources/parse-capture";
import { CaptureParseError } from "../../../collectors/sources/parse-values";

// Shapes of amd-smi 24.x-26.x (ROCm 6.1-7.x) answers on an 8 x MI300X node, values written for these tests.
const LIST = JSON.stringify([
  { gpu: 0, bdf: "0000:0c:00.0", uuid: "70ff74a1-0000-1000-80ea-a8f2b4b0c2d1", kfd_id: 12345, node_id: 2, partition_id: 0 },
  { gpu: 1, bdf: "0000:22:00.0", uuid: "e4ff74a1-0000-1000-8033-0fd6e2f1a0b7", kfd_id: 23456, node_id: 3, partition_id: 0 },
]);
const STATIC_ASIC = JSON.stringify([
  { gpu: 0, asic: { market_name: "AMD Instinct MI300X", vendor_id: "0x1002", device_id: "0x74a1", rev_id: "0x00" } },
  { gpu: 1, asic: { market_name: "AMD Instinct MI300X VF", vendor_id: "0x1002", device_id: "0x74b5", rev_id: "0x00" } },
]);
/** ROCm 7 wraps the entries in gpu_data; values carry their units. */
const METRIC = JSON.stringify({
  gpu_data: [
    {
      gpu: 0,
      usage: { gfx_activity: { value: 97, unit: "%" }, umc_activity: { value: 41, unit: "%" }, mm_activity: "N/A", vcn_activity: [{ value: 0, unit: "%" }, "N/A"] },
      power: { socket_power: { value: 702, unit: "W" }, gfx_voltage: "N/A", soc_voltage: "N/A", mem_voltage: "N/A", power_management: "ENABLED" },
      mem_usage: { total_vram: { value: 196592, unit: "MB" }, used_vram: { value: 181240, unit: "MB" }, free_vram: { value: 15352, unit: "MB" } },
    },
    {
      gpu: 1,
      usage: { gfx_activity: { value: 0, unit: "%" } },
      power: { socket_power: "N/A", average_socket_power: { value: 141, unit: "W" } },
      mem_usage: { total_vram: { value: 196592, unit: "MB" }, used_vram: { value: 283, unit: "MB" } },
    },
  ],
});
const PROCESS = JSON.stringify([
  {
    gpu: 0,
    process_list: [
      { process_info: { name: "python3", pid: 28389, memory_usage: { gtt_mem: { value: 2097152, unit: "B" }, cpu_mem: { value: 1048576, unit: "B" }, vram_mem: { value: 189999874048, unit: "B" } } } },
    ],
  },
  { gpu: 1, process_list: [{ process_info: "No running processes detected" }] },
]);

describe("parseAmdSmiMetric", () => {
  it("reads utilization, memory and socket power of each GPU, by index", () => {
    const gpus = parseAmdSmiMetric(METRIC, "metric.json");
    expect(gpus.map((gpu) => [gpu.index, gpu.utilizationGpuPct, gpu.memoryTotalMiB, gpu.memoryUsedMiB, gpu.powerDrawW])).toEqual([
      [0, 97, 196592, 181240, 702],
      // socket_power N/A: the average socket power of older cards stands in.
      [1, 0, 196592, 283, 141],
    ]);
    expect(gpus.every((gpu) => gpu.uuid === null && gpu.modelName === null)).toBe(true);
  });

  it("reads the bare numbers of older amd-smi and a top-level array, and N/A as null", () => {
    const old = JSON.stringify([{ gpu: 3, usage: { gfx_activity: 12 }, power: { socket_power: "N/A" }, mem_usage: { total_vram: 65520, used_vram: "N/A" } }]);
    expect(parseAmdSmiMetric(old, "old.json")[0]).toMatchObject({ index: 3, utilizationGpuPct: 12, memoryTotalMiB: 65520, memoryUsedMiB: null, powerDrawW: null });
  });

  it("names the capture and field of a value that is not a number", () => {
    const bad = JSON.stringify([{ gpu: 0, usage: { gfx_activity: { value: "lots", unit: "%" } } }]);
    expect(() => parseAmdSmiMetric(bad, "bad.json")).toThrow(CaptureParseError);
    expect(() => parseAmdSmiMetric(bad, "bad.json")).toThrow('bad.json, field gpu[0]/usage/gfx_activity: "lots" is not a number');
    expect(() => parseAmdSmiMetric("[{", "cut.json")).toThrow(/^cut\.json line 1: not valid JSON/);
  });
});

describe("parseAmdSmiProcesses", () => {
  it("reads pid, name and VRAM in MiB per GPU, and an idle GPU as no processes", () => {
    const byGpu = parseAmdSmiProcesses(PROCESS, "process.json");
    expect(byGpu.get(0)).toEqual([{ pid: 28389, name: "python3", memoryUsedMiB: 181198 }]);
    expect(byGpu.get(1)).toEqual([]);
  });
});

describe("mergeAmdSmi", () => {
  it("joins list, static, metric and process by GPU index into readings with UUID and canonical model", () => {
    const gpus = mergeAmdSmi({
      list: parseAmdSmiList(LIST, "list.json"),
      models: parseAmdSmiStaticModels(STATIC_ASIC, "static.json"),
      metric: parseAmdSmiMetric(METRIC, "metric.json"),
      processes: parseAmdSmiProcesses(PROCESS, "process.json"),
    });
    expect(gpus.map((gpu) => [gpu.uuid, gpu.modelName, gpu.processes.length])).toEqual([
      ["GPU-70ff74a1-0000-1000-80ea-a8f2b4b0c2d1", "AMD Instinct MI300X", 1],
      // The virtual function of a MI300X in a VM is priced as a MI300X.
      ["GPU-e4ff74a1-0000-1000-8033-0fd6e2f1a0b7", "AMD Instinct MI300X", 0],
    ]);
  });

  it("keys a GPU that list does not name by its index", () => {
    const [gpu] = mergeAmdSmi({ list: [], models: new Map(), metric: parseAmdSmiMetric(METRIC, "m").slice(0, 1), processes: new Map() });
    expect(gpu.uuid).toBe("AMD-gpu0");
  });
});

describe("amdSmiCommandOf", () => {
  it("tells the four commands apart by their entries", () => {
    expect([LIST, STATIC_ASIC, METRIC, PROCESS].map((text) => amdSmiCommandOf(JSON.parse(text)))).toEqual(["list", "static", "metric", "process"]);
    expect(amdSmiCommandOf({ card0: {} })).toBeNull();
  });
});

describe("parseRocmSmiJson", () => {
  it("reads cards with utilization, VRAM bytes, power and the product name, and skips the system entry", () => {
    const text = JSON.stringify({
      card1: {
        "Unique ID": "0x18f68e602b8a790f",
        "GPU use (%)": "0",
        "VRAM Total Memory (B)": "68702699520",
        "VRAM Total Used Memory (B)": "11452416",
        "Average Graphics Package Power (W)": "39.0",
        "Card Series": "Instinct MI210",
        "Card Model": "0x740f",
      },
      card0: {
        "Unique ID": "0xa1b2c3d4e5f60718",
        "GPU use (%)": "83",
        "VRAM Total Memory (B)": "205822885888",
        "VRAM Total Used Memory (B)": "2654650368",
        "Current Socket Graphics Package Power (W)": "512.0",
        "Card Series": "AMD Instinct MI300X OAM",
      },
      system: { "Driver version": "6.7.0" },
    });
    const gpus = parseRocmSmiJson(text, "rocm.json");
    expect(gpus.map((gpu) => [gpu.index, gpu.uuid, gpu.modelName, gpu.utilizationGpuPct, gpu.memoryTotalMiB, Math.round(gpu.memoryUsedMiB ?? -1), gpu.powerDrawW])).toEqual([
      [0, "GPU-a1b2c3d4e5f60718", "AMD Instinct MI300X", 83, 196288, 2532, 512],
      [1, "GPU-18f68e602b8a790f", "AMD Instinct MI210", 0, 65520, 11, 39],
    ]);
  });
});

describe("parseCapture", () => {
  it("detects and parses each amd-smi command and rocm-smi JSON", () => {
    expect(parseCapture(METRIC, { source: "metric.json" })).toMatchObject({ format: "amd-smi-json", gpus: [{ index: 0 }, { index: 1 }] });
    expect(parseCapture(LIST, { source: "list.json" }).gpus.map((gpu) => gpu.uuid)).toEqual(["70ff74a1-0000-1000-80ea-a8f2b4b0c2d1", "e4ff74a1-0000-1000-8033-0fd6e2f1a0b7"]);
    expect(parseCapture(STATIC_ASIC, { source: "static.json" }).gpus.map((gpu) => gpu.modelName)).toEqual(["AMD Instinct MI300X", "AMD Instinct MI300X"]);
    expect(parseCapture(PROCESS, { source: "process.json" }).gpus[0].processes.map((process) => process.pid)).toEqual([28389]);
    expect(parseCapture(JSON.stringify({ card0: { "GPU use (%)": "5", "Card Series": "Instinct MI250X" } }), { source: "rocm.json" })).toMatchObject({
      format: "rocm-smi-json",
      gpus: [{ modelName: "AMD Instinct MI250X", utilizationGpuPct: 5 }],
    });
  });

  it("says what a JSON file that is neither amd-smi nor rocm-smi is", () => {
    expect(() => parseCapture('{"hello": "world"}', { source: "other.json" })).toThrow(/^other\.json: no GPU readings found: this looks like none of the known captures/);
  });
});
