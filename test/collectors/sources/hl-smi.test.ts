import { describe, expect, it } from "vitest";
import { canonicalAcceleratorModel } from "../../../collectors/sources/accelerator-models";
import { detectCaptureFormat } from "../../../collectors/sources/detect-format";
import { HL_SMI_QUERY_FIELDS, parseHlSmiCsv } from "../../../collectors/sources/hl-smi";
import { parseCapture } from "../../../collectors/sources/parse-capture";

// Shapes of hl-smi 1.x --query-aip output on Gaudi 2 and Gaudi 3 nodes, values written for these tests.
const WITH_HEADER = [
  "index, uuid, name, memory.total [MiB], memory.used [MiB], utilization.aip [%], power.draw [W]",
  "0, 01P4-HL3090A0-18-UAN071-12-03-01, HL-325L, 131072 MiB, 120800 MiB, 97 %, 812 W",
  "1, 01P4-HL3090A0-18-UAN071-05-08-05, HL-325L, 131072 MiB, 672 MiB, 0 %, 226 W",
].join("\n");
const HEADERLESS_NOUNITS = "0, 01P0-HL2080A0-15-TNPQ14-03-07-09, HL-225, 98304, 94310, 100, 540\n1, 01P0-HL2080A0-15-TNPQ14-04-01-02, HL-225, 98304, N/A, N/A, 98\n";

describe("parseHlSmiCsv", () => {
  it("reads a Gaudi 3 query with header and units", () => {
    expect(parseHlSmiCsv(WITH_HEADER, { source: "hl.csv" })).toEqual([
      expect.objectContaining({ index: 0, uuid: "GAUDI-01P4-HL3090A0-18-UAN071-12-03-01", modelName: "Intel Gaudi 3", memoryTotalMiB: 131072, memoryUsedMiB: 120800, utilizationGpuPct: 97, powerDrawW: 812 }),
      expect.objectContaining({ index: 1, modelName: "Intel Gaudi 3", memoryUsedMiB: 672, utilizationGpuPct: 0, powerDrawW: 226 }),
    ]);
  });

  it("reads the collector's own headerless query, N/A as null", () => {
    const gpus = parseHlSmiCsv(HEADERLESS_NOUNITS, { source: "hl.csv", fields: HL_SMI_QUERY_FIELDS });
    expect(gpus.map((gpu) => [gpu.modelName, gpu.memoryUsedMiB, gpu.utilizationGpuPct, gpu.powerDrawW])).toEqual([
      ["Intel Gaudi 2", 94310, 100, 540],
      ["Intel Gaudi 2", null, null, 98],
    ]);
  });

  it("names line and field of a malformed value", () => {
    expect(() => parseHlSmiCsv("index, name, memory.used [MiB]\n0, HL-225, 9x MiB\n", { source: "hl.csv" })).toThrow('hl.csv line 2, field memory.used: "9x MiB" is not a number');
  });
});

describe("parseCapture", () => {
  it("detects hl-smi CSV by its .aip fields or its HL- part numbers", () => {
    expect(detectCaptureFormat(WITH_HEADER)).toMatchObject({ format: "hl-smi-csv", hasHeader: true, valuesHaveUnits: true });
    expect(detectCaptureFormat(HEADERLESS_NOUNITS)).toMatchObject({ format: "hl-smi-csv", hasHeader: false });
    expect(parseCapture(HEADERLESS_NOUNITS, { source: "hl.csv" }).gpus.map((gpu) => gpu.modelName)).toEqual(["Intel Gaudi 2", "Intel Gaudi 2"]);
    expect(parseCapture("index, name, memory.total [MiB]\n0, HL-225, 98304 MiB\n", { source: "hl.csv" }).gpus[0]).toMatchObject({ modelName: "Intel Gaudi 2", memoryTotalMiB: 98304 });
  });
});

describe("canonicalAcceleratorModel", () => {
  it.each([
    ["AMD Instinct MI300X", "AMD Instinct MI300X"],
    ["AMD Instinct MI300X VF", "AMD Instinct MI300X"],
    ["Instinct MI300X", "AMD Instinct MI300X"],
    ["AMD Instinct MI300X OAM", "AMD Instinct MI300X"],
    ["MI300X-O", "AMD Instinct MI300X"],
    ["AMD Instinct MI325X", "AMD Instinct MI325X"],
    ["AMD Instinct MI250X / MI250", "AMD Instinct MI250X"],
    ["HL-205", "Intel Gaudi"],
    ["HL-225", "Intel Gaudi 2"],
    ["HL-225H", "Intel Gaudi 2"],
    ["HL-325L", "Intel Gaudi 3"],
    ["HL-338", "Intel Gaudi 3"],
    ["Gaudi2", "Intel Gaudi 2"],
    ["Intel Gaudi 3", "Intel Gaudi 3"],
    ["NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"],
    ["  Tesla T4 ", "Tesla T4"],
  ])("names %s %s", (raw, canonical) => {
    expect(canonicalAcceleratorModel(raw)).toBe(canonical);
  });

  it("keeps null and empty names absent", () => {
    expect(canonicalAcceleratorModel(null)).toBeNull();
    expect(canonicalAcceleratorModel("  ")).toBeNull();
  });
});
