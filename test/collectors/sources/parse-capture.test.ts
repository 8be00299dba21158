import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { JobAttribution } from "../../../collectors/readings";
import { parseCapture, parseNvidiaSmiList, summarizeCapture, toGpuReading, type CaptureSummaryGpu } from "../../../collectors/sources/parse-capture";
import { CaptureParseError, type ParsedGpu } from "../../../collectors/sources/parse-values";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const fixturesDir = path.join(repoRoot, "test", "fixtures", "nvidia-smi");
const readFixture = (relativePath: string) => readFileSync(path.join(fixturesDir, relativePath), "utf8");
const sharedFixturesDir = path.resolve(repoRoot, "..", "shared", "fixtures", "nvidia-smi");
const sharedFixturesPresent = existsSync(sharedFixturesDir);

describe("parseCapture", () => {
  it("reads the latest --query-gpu and --query-compute-apps sections of a multi-command capture", () => {
    const capture = parseCapture(readFixture("nvidia_gpu_exporter/linux-x86_64__nvidia-h100-mig__590.48.01.txt"), { source: "h100-mig.txt" });
    expect(capture.format).toBe("nvidia-smi-multi-section");
    expect(summarizeCapture(capture)).toEqual({
      gpus: [
        {
          uuid: "GPU-00000000-0000-0000-0000-000000000000",
          index: 0,
          name: "NVIDIA H100 80GB HBM3",
          memoryTotalMiB: 81559,
          memoryUsedMiB: 11125,
          // MIG mode: nvidia-smi prints [N/A] for utilization.
          utilizationGpuPct: null,
          powerDrawW: 433.78,
          migProfile: null,
          processes: [
            { pid: 21180, name: "/root/tools/memhog", memoryUsedMiB: 2296 },
            { pid: 21181, name: "/root/tools/memhog", memoryUsedMiB: 1272 },
            { pid: 21198, name: "./gpu_burn", memoryUsedMiB: 7484 },
          ],
        },
      ],
    });
  });

  it("reads nvidia-smi -L: 8 GPUs, each with 7 MIG devices, identities only", () => {
    const { gpus } = parseCapture(readFixture("nvidia_gpu_exporter/list_gpus.txt"), { source: "list_gpus.txt" });
    expect(gpus).toHaveLength(8 * 8);
    expect(gpus[0]).toMatchObject({ uuid: "GPU-63d1e50a-b952-d15c-0740-12bc14859142", index: 0, modelName: "NVIDIA H100 80GB HBM3", memoryTotalMiB: null, migProfile: null });
    expect(gpus[1]).toMatchObject({
      uuid: "MIG-4d0efb7d-0970-51d9-b761-0686be6b8af3",
      index: 0,
      migParentUuid: "GPU-63d1e50a-b952-d15c-0740-12bc14859142",
      migProfile: "1g.10gb",
    });
    expect(gpus.filter((gpu) => gpu.migParentUuid === null).map((gpu) => gpu.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("reads --query-gpu output made one field per call", () => {
    const { gpus } = parseCapture(readFixture("collectd-nvidia-smi/nvidia-smi-output-sample.txt"), { source: "sample.txt" });
    expect(gpus).toEqual([
      expect.objectContaining({
        uuid: "GPU-69e4022d-9cb8-283f-8ba7-d2f87314fd84",
        index: 0,
        modelName: "GeForce GTX 1060 6GB",
        memoryTotalMiB: 6075,
        memoryUsedMiB: 111,
        utilizationGpuPct: 0,
        powerDrawW: 7.06,
      }),
    ]);
  });

  it("reads dcgm-exporter text and keeps its details", () => {
    const capture = parseCapture(readFixture("k8s-ai-conformance/kops-l4-dcgm-metrics.prom"), { source: "l4.prom" });
    expect(capture.format).toBe("dcgm-exporter-metrics");
    expect(capture.driverVersion).toBe("580.105.08");
    expect(capture.dcgmGpuDetails[0].hostname).toBe("i-030791dc5a37cd257");
  });

  it("reads headerless CSV of the collector's default fields without being told the fields", () => {
    const text = "0, GPU-aaaa, NVIDIA A100-SXM4-80GB, 81920, 1024, 35, 88.50\n1, GPU-bbbb, NVIDIA A100-SXM4-80GB, 81920, 0, 0, 55.10\n";
    const { gpus } = parseCapture(text, { source: "gpus.csv" });
    expect(gpus.map((gpu) => [gpu.index, gpu.uuid, gpu.memoryTotalMiB, gpu.memoryUsedMiB, gpu.utilizationGpuPct, gpu.powerDrawW])).toEqual([
      [0, "GPU-aaaa", 81920, 1024, 35, 88.5],
      [1, "GPU-bbbb", 81920, 0, 0, 55.1],
    ]);
  });

  it("reads headerless CSV of other fields when told them, and refuses it otherwise", () => {
    const text = "GPU-aaaa, 4 MiB\n";
    expect(parseCapture(text, { source: "gpus.csv", fields: ["uuid", "memory.used"] }).gpus[0]).toMatchObject({ uuid: "GPU-aaaa", memoryUsedMiB: 4 });
    expect(() => parseCapture(text, { source: "gpus.csv" })).toThrow(/gpus\.csv line 1: CSV without a header/);
    const nameOnly = "Tesla T4\nTesla T4\n";
    expect(parseCapture(nameOnly, { source: "names.csv", fields: ["name"] }).gpus.map((gpu) => gpu.modelName)).toEqual(["Tesla T4", "Tesla T4"]);
    expect(() => parseCapture(nameOnly, { source: "names.csv" })).toThrow(/^names\.csv: no GPU readings found: this looks like none of the known captures/);
  });

  it("reads --query-gpu=uuid --format=csv of two GPUs: a header, then one value per line", () => {
    const text = "uuid\nGPU-6b29bbf5-2b2c-4e1a-8f7e-0c9a2d2f3b11\nGPU-0d1c3a77-9a54-41f8-b0d2-77e3f5c1aa02\n";
    const { gpus } = parseCapture(text, { source: "uuids.csv" });
    expect(gpus.map((gpu) => gpu.uuid)).toEqual(["GPU-6b29bbf5-2b2c-4e1a-8f7e-0c9a2d2f3b11", "GPU-0d1c3a77-9a54-41f8-b0d2-77e3f5c1aa02"]);
    // Told the one field, a first value that looks like a field name ("A100") is a value, not a header.
    expect(parseCapture("A100\nH100\nL4\n", { source: "names.csv", fields: ["name"] }).gpus.map((gpu) => gpu.modelName)).toEqual(["A100", "H100", "L4"]);
  });

  it("reads the captures of a real H200 node the same way in every format", () => {
    const h200 = { uuid: "GPU-1caaa79e-17d9-f38c-7571-bab0a6e7cf2b", index: 0, modelName: "NVIDIA H200", memoryTotalMiB: 143771, memoryUsedMiB: 0, utilizationGpuPct: 0 };
    const read = (file: string) => parseCapture(readFixture(`gpu-roi-h200/${file}`), { source: file });
    expect(read("q-x.xml")).toMatchObject({ format: "nvidia-smi-xml", driverVersion: "580.159.04", gpus: [{ ...h200, powerDrawW: 78.66, processes: [] }] });
    expect(read("query-gpu.csv").gpus).toEqual([expect.objectContaining({ ...h200, powerDrawW: 79.19 })]);
    expect(read("query-gpu-noheader-nounits.csv").gpus).toEqual([expect.objectContaining({ ...h200, powerDrawW: 79.19 })]);
    expect(read("uuid.csv").gpus.map((gpu) => gpu.uuid)).toEqual([h200.uuid]);
    expect(read("list.txt").gpus).toEqual([expect.objectContaining({ uuid: h200.uuid, modelName: "NVIDIA H200", memoryTotalMiB: null })]);
    // An idle node's compute-apps query is its header alone: no GPU to report.
    expect(() => read("apps.csv")).toThrow(/no GPU in it has a UUID or a name/);
  });

  it("prefers the -q -x section of a multi-command capture, with line numbers of the whole file in errors", () => {
    const xml = (used: string) =>
      `<?xml version="1.0" ?>\n<nvidia_smi_log>\n<gpu id="0"><uuid>GPU-a</uuid><product_name>Tesla T4</product_name>\n<fb_memory_usage><total>15360 MiB</total><used>${used}</used></fb_memory_usage></gpu>\n</nvidia_smi_log>`;
    const capture = (used: string) =>
      ["# nvidia-smi -L", "GPU 0: Tesla T4 (UUID: GPU-a)", "", "# nvidia-smi -q -x", xml(used), "", "# nvidia-smi --query-gpu=uuid --format=csv", "uuid", "GPU-a"].join("\n");
    expect(parseCapture(capture("1005 MiB"), { source: "capture.txt" }).gpus).toEqual([expect.objectContaining({ uuid: "GPU-a", memoryTotalMiB: 15360, memoryUsedMiB: 1005 })]);
    expect(() => parseCapture(capture("1005 MiB</used></gpu>"), { source: "capture.txt" })).toThrow(/^capture\.txt line 8: not well-formed XML: .*opened in line 8/);
  });

  it("says what a multi-command capture lacks when it has no readings", () => {
    expect(() => parseCapture("# nvidia-smi --version\nNVIDIA-SMI version  : 590.48.01\n", { source: "capture.txt" })).toThrow(
      "capture.txt: no GPU readings found: this looks like a capture of several nvidia-smi commands, but it has no nvidia-smi -q -x, --query-gpu=... --format=csv or -L section",
    );
  });

  it("puts compute-apps rows on GPUs of their own when the capture has only processes", () => {
    const text = "gpu_uuid, gpu_name, pid, process_name, used_gpu_memory [MiB]\nGPU-a, Tesla T4, 5762, python, 1005 MiB\nGPU-b, Tesla T4, 675, /usr/lib/xorg/Xorg, 22 MiB\n";
    expect(summarizeCapture(parseCapture(text, { source: "apps.csv" })).gpus.map((gpu) => [gpu.uuid, gpu.name, gpu.processes])).toEqual([
      ["GPU-a", "Tesla T4", [{ pid: 5762, name: "python", memoryUsedMiB: 1005 }]],
      ["GPU-b", "Tesla T4", [{ pid: 675, name: "/usr/lib/xorg/Xorg", memoryUsedMiB: 22 }]],
    ]);
  });

  it("says clearly when a file is not a capture", () => {
    const parse = (text: string) => () => parseCapture(text, { source: "file.txt" });
    expect(parse(readFixture("dcgm-exporter/default-counters.csv"))).toThrow(CaptureParseError);
    expect(parse(readFixture("dcgm-exporter/default-counters.csv"))).toThrow(/^file\.txt: no GPU readings found: this looks like a dcgm-exporter counter catalog/);
    expect(parse('List of valid properties to query for the switch "--query-gpu=":\n\n"timestamp"\nThe timestamp.\n')).toThrow(
      /^file\.txt: no GPU readings found: this looks like nvidia-smi --help-query-gpu output/,
    );
    expect(parse("")).toThrow("file.txt: no GPU readings found: this looks like an empty file");
    expect(parse("<nvidia_smi_log><driver_version>535.54.03</driver_version></nvidia_smi_log>")).toThrow(
      "file.txt: no GPU readings found: this looks like nvidia-smi -q -x XML, but no GPU in it has a UUID or a name",
    );
  });
});

describe("parseNvidiaSmiList", () => {
  it("reads the older MIG line form with a GPU-UUID/GI/CI identifier", () => {
    const gpus = parseNvidiaSmiList("GPU 0: A100-SXM4-40GB (UUID: GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77)\n  MIG 1g.5gb Device 0: (UUID: MIG-GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77/7/0)\n");
    expect(gpus.map((gpu) => [gpu.uuid, gpu.migProfile])).toEqual([
      ["GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77", null],
      ["MIG-GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77/7/0", "1g.5gb"],
    ]);
  });
});

describe("toGpuReading", () => {
  const job = (gpu: ParsedGpu, pid: number): JobAttribution => ({ externalId: `${gpu.uuid}:${pid}`, kind: "other" });

  it("makes a GpuReading with attributed processes", () => {
    const [gpu] = parseCapture(readFixture("telegraf/tesla_p4.xml"), { source: "tesla_p4.xml" }).gpus;
    const reading = toGpuReading(gpu, (process, owner) => job(owner, process.pid));
    expect(reading).toMatchObject({ uuid: "GPU-1b1ea7c7-1c4b-ed49-1c72-26c65f2dd207", index: 0, modelName: "GRID P4-1Q", memoryTotalMiB: 1024, powerDrawW: null });
    expect(reading?.processes[0]).toEqual({
      pid: 1188,
      name: "",
      memoryUsedMiB: null,
      utilizationPct: null,
      job: { externalId: "GPU-1b1ea7c7-1c4b-ed49-1c72-26c65f2dd207:1188", kind: "other" },
    });
  });

  it("gives null when the capture lacks what a reading needs", () => {
    const [gpu] = parseCapture(readFixture("nvidia_gpu_exporter/list_gpus.txt"), { source: "list_gpus.txt" }).gpus;
    expect(toGpuReading(gpu, (process, owner) => job(owner, process.pid))).toBeNull();
  });
});

/** Every file under the shared fixture folder, relative to it. */
function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`]))
    .sort();
}

/** Files that hold no GPU readings: parsing them must say what they are. */
const NOT_CAPTURES: Record<string, RegExp> = {
  "dcgm-exporter/1.x-compatibility-metrics.csv": /no GPU readings found: this looks like a dcgm-exporter counter catalog/,
  "dcgm-exporter/dcp-metrics-included.csv": /no GPU readings found: this looks like a dcgm-exporter counter catalog/,
  "dcgm-exporter/default-counters.csv": /no GPU readings found: this looks like a dcgm-exporter counter catalog/,
  "go.d.plugin/help-query-gpu.txt": /no GPU readings found: this looks like nvidia-smi --help-query-gpu output/,
};

/** Values these captures do not report (N/A, missing elements): they must be null, not 0. */
const KNOWN_ABSENT: Record<string, (summary: CaptureSummaryGpu[]) => unknown[]> = {
  "telegraf/a100-sxm4-v12.xml": (gpus) => gpus.map((gpu) => gpu.utilizationGpuPct),
  "netdata/a100-sxm4-mig.xml": (gpus) => gpus.map((gpu) => gpu.utilizationGpuPct),
  "telegraf/tesla_p4.xml": (gpus) => [gpus[0].powerDrawW, ...gpus[0].processes.map((process) => process.memoryUsedMiB)],
  "telegraf/tesla_t4.xml": (gpus) => gpus[0].processes.map((process) => process.memoryUsedMiB),
  "netdata/rtx-2080-win.xml": (gpus) => gpus[0].processes.map((process) => process.memoryUsedMiB),
  "telegraf/gt-1030.xml": (gpus) => [gpus[0].powerDrawW],
  "telegraf/quadro-p400.xml": (gpus) => [gpus[0].powerDrawW],
  "telegraf/gtx-1070-ti.xml": (gpus) => [gpus[0].powerDrawW],
  "pai/nvidia_smi_outdated_gpu.xml": (gpus) => [gpus[0].memoryTotalMiB, gpus[0].memoryUsedMiB, gpus[0].utilizationGpuPct, gpus[0].powerDrawW],
  "netdata/rtx-pro-6000-driver-580.xml": (gpus) => [gpus[0].memoryTotalMiB, gpus[0].memoryUsedMiB, gpus[0].utilizationGpuPct],
  "nvidia_gpu_exporter/linux-x86_64__nvidia-h100-mig__590.48.01.txt": (gpus) => [gpus[0].utilizationGpuPct],
  "nvidia_gpu_exporter/linux-x86_64__nvidia-h200-mig__590.48.01.txt": (gpus) => [gpus[0].utilizationGpuPct],
  "nvidia_gpu_exporter/windows-x86_64__nvidia-geforce-rtx-2080-super__591.86.txt": (gpus) => gpus[0].processes.map((process) => process.memoryUsedMiB),
  "nvidia_gpu_exporter/windows-x86_64__nvidia-geforce-rtx-2080-super__610.62.txt": (gpus) => gpus[0].processes.map((process) => process.memoryUsedMiB),
  "k8s-ai-conformance/vks-grid-a100-10c-dcgm-metrics.prom": (gpus) => [gpus[0].powerDrawW],
  "go.d.plugin/tesla-p100.csv": (gpus) => [gpus[0].index],
  "nvidia_gpu_exporter/list_gpus.txt": (gpus) => gpus.flatMap((gpu) => [gpu.memoryTotalMiB, gpu.memoryUsedMiB, gpu.utilizationGpuPct, gpu.powerDrawW]),
};

const isNullOrFinite = (value: unknown) => value === null || (typeof value === "number" && Number.isFinite(value));
const isNullOrNonEmptyText = (value: unknown) => value === null || (typeof value === "string" && value.trim() !== "");

if (!sharedFixturesPresent) {
  console.warn(`shared nvidia-smi fixtures are missing (${sharedFixturesDir}): the all-captures test is skipped`);
}

describe.skipIf(!sharedFixturesPresent)("parseCapture over every shared capture", () => {
  const files = sharedFixturesPresent ? listFiles(sharedFixturesDir).filter((file) => file !== "README.md") : [];

  it("finds the whole shared set", () => {
    expect(files.length).toBeGreaterThanOrEqual(57);
    for (const file of [...Object.keys(NOT_CAPTURES), ...Object.keys(KNOWN_ABSENT)]) expect(files).toContain(file);
  });

  it.each(files.filter((file) => !(file in NOT_CAPTURES)))("parses %s into GPUs with null, never NaN, for absent values", (file) => {
    const capture = parseCapture(readFileSync(path.join(sharedFixturesDir, file), "utf8"), { source: file });
    const { gpus } = summarizeCapture(capture);
    expect(gpus.some((gpu) => Boolean(gpu.uuid) || Boolean(gpu.name))).toBe(true);
    for (const gpu of gpus) {
      expect(Object.keys(gpu).sort()).toEqual(["index", "memoryTotalMiB", "memoryUsedMiB", "migProfile", "name", "powerDrawW", "processes", "utilizationGpuPct", "uuid"]);
      expect(isNullOrNonEmptyText(gpu.uuid)).toBe(true);
      expect(isNullOrNonEmptyText(gpu.name)).toBe(true);
      expect(isNullOrNonEmptyText(gpu.migProfile)).toBe(true);
      for (const value of [gpu.index, gpu.memoryTotalMiB, gpu.memoryUsedMiB, gpu.utilizationGpuPct, gpu.powerDrawW]) expect(isNullOrFinite(value)).toBe(true);
      for (const process of gpu.processes) {
        expect(Number.isSafeInteger(process.pid)).toBe(true);
        expect(isNullOrNonEmptyText(process.name)).toBe(true);
        expect(isNullOrFinite(process.memoryUsedMiB)).toBe(true);
      }
    }
    const absent = KNOWN_ABSENT[file];
    if (absent) {
      const values = absent(gpus);
      expect(values.length).toBeGreaterThan(0);
      expect(values.every((value) => value === null)).toBe(true);
    }
  });

  it.each(Object.entries(NOT_CAPTURES))("says %s is not a capture", (file, message) => {
    const parse = () => parseCapture(readFileSync(path.join(sharedFixturesDir, file), "utf8"), { source: file });
    expect(parse).toThrow(CaptureParseError);
    expect(parse).toThrow(message);
  });
});
