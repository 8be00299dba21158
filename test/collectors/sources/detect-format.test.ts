import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { detectCaptureFormat } from "../../../collectors/sources/detect-format";

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "nvidia-smi");
const readFixture = (relativePath: string) => readFileSync(path.join(fixturesDir, relativePath), "utf8");

describe("detectCaptureFormat", () => {
  it.each([
    ["telegraf/a100-sxm4-v12.xml", "nvidia-smi-xml"],
    ["telegraf/gtx-1660-ti.xml", "nvidia-smi-xml"],
    ["rai-project_nvidia-smi/example2.xml", "nvidia-smi-xml"],
    ["nvidia_gpu_exporter/sample-output.csv", "nvidia-smi-query-gpu-csv"],
    ["nvidia_gpu_exporter/list_gpus.txt", "nvidia-smi-list"],
    ["nvidia_gpu_exporter/linux-x86_64__nvidia-h100-mig__590.48.01.txt", "nvidia-smi-multi-section"],
    ["collectd-nvidia-smi/nvidia-smi-output-sample.txt", "nvidia-smi-csv-one-field-per-call"],
    ["k8s-ai-conformance/kops-l4-dcgm-metrics.prom", "dcgm-exporter-metrics"],
    ["k8s-ai-conformance/ericsson-ccd-t4-dcgm-metrics.prom", "dcgm-exporter-metrics"],
    ["integrations-core/metrics", "dcgm-exporter-metrics"],
    ["dcgm-exporter/default-counters.csv", "dcgm-exporter-counter-catalog"],
  ])("detects %s as %s", (file, format) => {
    expect(detectCaptureFormat(readFixture(file)).format).toBe(format);
  });

  it("tells CSV with a header and units from CSV without either", () => {
    expect(detectCaptureFormat("index, uuid, memory.used [MiB]\n0, GPU-a, 12 MiB\n")).toMatchObject({
      format: "nvidia-smi-query-gpu-csv",
      hasHeader: true,
      valuesHaveUnits: true,
    });
    expect(detectCaptureFormat("index, uuid, memory.used [MiB]\n0, GPU-a, 12\n")).toMatchObject({ hasHeader: true, valuesHaveUnits: false });
    expect(detectCaptureFormat("0, GPU-a, Tesla T4, 15360, 0, 0, 9.50\n")).toMatchObject({
      format: "nvidia-smi-query-gpu-csv",
      hasHeader: false,
      valuesHaveUnits: false,
    });
    expect(detectCaptureFormat("4242, python, GPU-a, 1005 MiB\n")).toMatchObject({ format: "nvidia-smi-compute-apps-csv", hasHeader: false, valuesHaveUnits: true });
    expect(detectCaptureFormat("pid, process_name, gpu_uuid, used_memory [MiB]\n")).toMatchObject({ format: "nvidia-smi-compute-apps-csv", hasHeader: true });
  });

  it("reads one queried field of several GPUs (no comma anywhere) as CSV with a header", () => {
    const text = "uuid\nGPU-6b29bbf5-2b2c-4e1a-8f7e-0c9a2d2f3b11\nGPU-0d1c3a77-9a54-41f8-b0d2-77e3f5c1aa02\n";
    expect(detectCaptureFormat(text)).toMatchObject({ format: "nvidia-smi-query-gpu-csv", hasHeader: true, valuesHaveUnits: false });
    expect(detectCaptureFormat("memory.used [MiB]\n12 MiB\n40000 MiB\n7 MiB\n")).toMatchObject({ format: "nvidia-smi-query-gpu-csv", valuesHaveUnits: true });
    // A header and one value is still one field per call of one GPU; both read the same.
    expect(detectCaptureFormat("uuid\nGPU-a\n").format).toBe("nvidia-smi-csv-one-field-per-call");
  });

  it("recognises outputs that hold no readings and says what to capture instead", () => {
    expect(detectCaptureFormat('List of valid properties to query for the switch "--query-gpu=":\n\n"timestamp"\n')).toMatchObject({
      format: "nvidia-smi-help-query",
      description: expect.stringContaining("lists field names, not readings"),
    });
    expect(detectCaptureFormat("==============NVSMI LOG==============\n\nTimestamp : x\n").format).toBe("nvidia-smi-query-text");
    expect(detectCaptureFormat("# gpu         pid   type     sm    mem    command\n# Idx           #    C/G      %      %    name\n    0      21180     C      -      -    memhog\n").format).toBe(
      "nvidia-smi-pmon",
    );
    expect(detectCaptureFormat("# gpu    pwr  gtemp     sm\n# Idx      W      C      %\n    0    438     55      -\n").format).toBe("nvidia-smi-dmon");
    expect(detectCaptureFormat(readFixture("dcgm-exporter/default-counters.csv")).description).toContain("not a metrics capture");
    expect(detectCaptureFormat("").format).toBe("unknown");
    expect(detectCaptureFormat("hello world\n").format).toBe("unknown");
  });
});
