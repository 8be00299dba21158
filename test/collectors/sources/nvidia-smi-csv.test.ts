import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_COMPUTE_APPS_QUERY_FIELDS,
  DEFAULT_GPU_QUERY_FIELDS,
  csvHeaderFieldName,
  isCsvHeaderLine,
  parseComputeAppsCsv,
  parseQueryGpuCsv,
  parseQueryGpuFieldValues,
} from "../../../collectors/sources/nvidia-smi-csv";
import { CaptureParseError } from "../../../collectors/sources/parse-values";

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "nvidia-smi");
const readFixture = (relativePath: string) => readFileSync(path.join(fixturesDir, relativePath), "utf8");

describe("parseQueryGpuCsv", () => {
  it("reads --format=csv with units in the header and the values", () => {
    const text = [
      "index, uuid, name, memory.total [MiB], memory.used [MiB], utilization.gpu [%], power.draw [W]",
      "0, GPU-aaaa, NVIDIA H100 80GB HBM3, 81559 MiB, 19818 MiB, 100 %, 631.95 W",
      "1, GPU-bbbb, NVIDIA H100 80GB HBM3, 81559 MiB, 4 MiB, 0 %, 71.20 W",
    ].join("\n");
    expect(parseQueryGpuCsv(text, { source: "gpus.csv" })).toEqual([
      {
        uuid: "GPU-aaaa",
        index: 0,
        modelName: "NVIDIA H100 80GB HBM3",
        memoryTotalMiB: 81559,
        memoryUsedMiB: 19818,
        utilizationGpuPct: 100,
        smActivePct: null,
        powerDrawW: 631.95,
        migParentUuid: null,
        migProfile: null,
        processes: [],
      },
      {
        uuid: "GPU-bbbb",
        index: 1,
        modelName: "NVIDIA H100 80GB HBM3",
        memoryTotalMiB: 81559,
        memoryUsedMiB: 4,
        utilizationGpuPct: 0,
        smActivePct: null,
        powerDrawW: 71.2,
        migParentUuid: null,
        migProfile: null,
        processes: [],
      },
    ]);
  });

  it("reads --format=csv,noheader,nounits given the queried fields", () => {
    const text = "0, GPU-aaaa, NVIDIA A100-SXM4-80GB, 81920, 1024, 35, 88.50\n1, GPU-bbbb, NVIDIA A100-SXM4-80GB, 81920, 0, 0, 55.10\n";
    const gpus = parseQueryGpuCsv(text, { source: "gpus.csv", fields: DEFAULT_GPU_QUERY_FIELDS });
    expect(gpus.map((gpu) => [gpu.index, gpu.uuid, gpu.memoryUsedMiB, gpu.utilizationGpuPct, gpu.powerDrawW])).toEqual([
      [0, "GPU-aaaa", 1024, 35, 88.5],
      [1, "GPU-bbbb", 0, 0, 55.1],
    ]);
  });

  it("refuses CSV without a header when no field list is given", () => {
    expect(() => parseQueryGpuCsv("0, GPU-aaaa, Tesla T4, 15360, 0, 0, 9.5", { source: "gpus.csv" })).toThrow(
      /gpus\.csv line 1: CSV without a header: say which fields were queried/,
    );
  });

  it("gives null for [N/A], N/A, [Not Supported], [Insufficient Permissions] and empty cells", () => {
    const text = [
      "index, uuid, name, memory.total [MiB], memory.used [MiB], utilization.gpu [%], power.draw [W]",
      "0, GPU-aaaa, NVIDIA A100-SXM4-80GB, [Insufficient Permissions], [Insufficient Permissions], [N/A], [Not Supported]",
      "1, GPU-bbbb, NVIDIA A100-SXM4-80GB, N/A, , [Unknown Error], [Function Not Found]",
    ].join("\n");
    for (const gpu of parseQueryGpuCsv(text, { source: "gpus.csv" })) {
      expect(gpu.memoryTotalMiB).toBeNull();
      expect(gpu.memoryUsedMiB).toBeNull();
      expect(gpu.utilizationGpuPct).toBeNull();
      expect(gpu.powerDrawW).toBeNull();
    }
  });

  it("names file, line and field of a malformed value", () => {
    const text = [
      "index, uuid, name, memory.total [MiB], memory.used [MiB], utilization.gpu [%], power.draw [W]",
      "0, GPU-aaaa, Tesla T4, 15360 MiB, 0 MiB, 0 %, 9.50 W",
      "1, GPU-bbbb, Tesla T4, 15360 MiB, 12x MiB, 0 %, 9.50 W",
    ].join("\n");
    const parse = () => parseQueryGpuCsv(text, { source: "nvidia-smi.csv" });
    expect(parse).toThrow(CaptureParseError);
    expect(parse).toThrow('nvidia-smi.csv line 3, field memory.used: "12x MiB" is not a number');
  });

  it("counts lines from firstLineNumber so messages point into a larger capture", () => {
    const text = "index, memory.used [MiB]\n0, abc";
    expect(() => parseQueryGpuCsv(text, { source: "capture.txt", firstLineNumber: 100 })).toThrow('capture.txt line 101, field memory.used: "abc" is not a number');
  });

  it("refuses a row whose cell count differs from the header's", () => {
    expect(() => parseQueryGpuCsv("index, uuid\n0, GPU-a, extra", { source: "gpus.csv" })).toThrow("gpus.csv line 2: has 3 cells but the header (line 1) has 2 fields");
  });

  it("derives memory.total from used + free + reserved when total was not queried (go.d-style nounits header)", () => {
    const text = [
      "name, uuid, fan.speed [%], pstate, memory.reserved [MiB], memory.used [MiB], memory.free [MiB], utilization.gpu [%], power.draw [W]",
      "Tesla P100-PCIE-16GB, GPU-ef1b, [N/A], P0, 103, 0, 16280, 0, 28.16",
    ].join("\n");
    const [gpu] = parseQueryGpuCsv(text, { source: "p100.csv" });
    expect(gpu.memoryTotalMiB).toBe(16383);
    expect(gpu.index).toBeNull();
    expect(gpu.powerDrawW).toBe(28.16);
  });

  it("falls back to power.draw.instant when power.draw is [N/A]", () => {
    const [gpu] = parseQueryGpuCsv("uuid, power.draw [W], power.draw.instant [W]\nGPU-a, [N/A], 66.84 W", { source: "gpus.csv" });
    expect(gpu.powerDrawW).toBe(66.84);
  });

  it("accepts the gpu_uuid and gpu_name aliases", () => {
    const [gpu] = parseQueryGpuCsv("gpu_uuid, gpu_name\nGPU-a, Tesla T4", { source: "gpus.csv" });
    expect([gpu.uuid, gpu.modelName]).toEqual(["GPU-a", "Tesla T4"]);
  });

  it("reads a real --format=csv capture with 115 columns and many [N/A] cells", () => {
    const [gpu, ...others] = parseQueryGpuCsv(readFixture("nvidia_gpu_exporter/sample-output.csv"), { source: "sample-output.csv" });
    expect(others).toEqual([]);
    expect(gpu).toMatchObject({
      uuid: "GPU-df6e7a7c-7314-46f8-abc4-b88b36dcf3aa",
      index: 0,
      modelName: "NVIDIA GeForce RTX 2080 SUPER",
      memoryTotalMiB: 8192,
      memoryUsedMiB: 876,
      utilizationGpuPct: 2,
      powerDrawW: 32.7,
    });
  });
});

describe("parseComputeAppsCsv", () => {
  it("reads the collector's default query, process name in second place", () => {
    const text = "pid, process_name, gpu_uuid, used_memory [MiB]\n4242, python, GPU-aaaa, 1005 MiB\n";
    expect(parseComputeAppsCsv(text, { source: "apps.csv" })).toEqual([
      { gpuUuid: "GPU-aaaa", gpuName: null, pid: 4242, name: "python", memoryUsedMiB: 1005 },
    ]);
    expect(DEFAULT_COMPUTE_APPS_QUERY_FIELDS).toEqual(["pid", "process_name", "gpu_uuid", "used_memory"]);
  });

  it("puts back together process names that contain commas", () => {
    const text = [
      "pid, process_name, gpu_uuid, used_memory",
      "2214, /opt/msedge --enable-crash-reporter=, --field-trial-handle=0,i,3110290512380155730,262144 --seed, GPU-aaaa, 79",
      "835, /usr/lib/Xorg, GPU-aaaa, 550",
    ].join("\n");
    const apps = parseComputeAppsCsv(text, { source: "apps.csv" });
    expect(apps.map((app) => app.name)).toEqual([
      "/opt/msedge --enable-crash-reporter=, --field-trial-handle=0,i,3110290512380155730,262144 --seed",
      "/usr/lib/Xorg",
    ]);
    expect(apps.map((app) => app.memoryUsedMiB)).toEqual([79, 550]);
  });

  it("reads quoted cells, commas and escaped quotes included", () => {
    const text = 'pid, process_name, gpu_uuid, used_memory\n4242, "python train.py --layers=1,2,3 --name=""big""", GPU-aaaa, 10\n';
    const [app] = parseComputeAppsCsv(text, { source: "apps.csv" });
    expect(app.name).toBe('python train.py --layers=1,2,3 --name="big"');
    expect(app.gpuUuid).toBe("GPU-aaaa");
  });

  it("keeps a command line that merely starts with a quote as written", () => {
    const text = 'pid, process_name, gpu_uuid, used_memory\n77, "C:\\Program Files\\app.exe" --x=1,2, GPU-aaaa, [N/A]\n';
    const [app] = parseComputeAppsCsv(text, { source: "apps.csv" });
    expect(app.name).toBe('"C:\\Program Files\\app.exe" --x=1,2');
    expect(app.memoryUsedMiB).toBeNull();
  });

  it("reads noheader output given the field list, and the header-only output of an idle node", () => {
    const apps = parseComputeAppsCsv("4242, python, GPU-aaaa, 1005", { source: "apps.csv", fields: DEFAULT_COMPUTE_APPS_QUERY_FIELDS });
    expect(apps).toEqual([{ gpuUuid: "GPU-aaaa", gpuName: null, pid: 4242, name: "python", memoryUsedMiB: 1005 }]);
    expect(parseComputeAppsCsv("pid, process_name, gpu_uuid, used_gpu_memory [MiB]\n", { source: "apps.csv" })).toEqual([]);
  });

  it("gives a null name and memory for [Insufficient Permissions] and [N/A]", () => {
    const [app] = parseComputeAppsCsv("pid, process_name, used_gpu_memory [MiB]\n4242, [Insufficient Permissions], [N/A]", { source: "apps.csv" });
    expect(app).toEqual({ gpuUuid: null, gpuName: null, pid: 4242, name: null, memoryUsedMiB: null });
  });
});

describe("parseQueryGpuFieldValues", () => {
  it("builds one GPU from the header/value pairs of one-field-per-call output", () => {
    const gpu = parseQueryGpuFieldValues(
      [
        { header: "uuid", value: "GPU-69e4", line: 2 },
        { header: "memory.total [MiB]", value: "6075 MiB", line: 4 },
        { header: "power.draw [W]", value: "7.06 W", line: 6 },
      ],
      "sample.txt",
    );
    expect([gpu.uuid, gpu.memoryTotalMiB, gpu.powerDrawW, gpu.utilizationGpuPct]).toEqual(["GPU-69e4", 6075, 7.06, null]);
  });

  it("names the line of the value in errors", () => {
    expect(() => parseQueryGpuFieldValues([{ header: "utilization.gpu [%]", value: "oops", line: 8 }], "sample.txt")).toThrow(
      'sample.txt line 8, field utilization.gpu: "oops" is not a number',
    );
  });
});

describe("isCsvHeaderLine", () => {
  it("tells header lines from data rows", () => {
    expect(isCsvHeaderLine("index, uuid, memory.used [MiB]")).toBe(true);
    expect(isCsvHeaderLine("0, GPU-aaaa, 12 MiB")).toBe(false);
    expect(isCsvHeaderLine("Tesla T4, GPU-aaaa")).toBe(false);
  });
});

describe("csvHeaderFieldName", () => {
  it("drops the unit from a header cell", () => {
    expect(csvHeaderFieldName(" memory.used [MiB] ")).toBe("memory.used");
    expect(csvHeaderFieldName("GPU-aaaa")).toBeNull();
  });
});
