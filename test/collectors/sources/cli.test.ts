import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeCaptureBytes, runCli, USAGE } from "../../../collectors/cli";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const fixture = (relativePath: string) => path.join("test", "fixtures", "nvidia-smi", relativePath);

/** Runs the CLI the way users do (through tsx), in the repository root. */
function runCollector(...args: string[]) {
  const result = spawnSync("npx", ["tsx", "collectors/cli.ts", ...args], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("collector parse", () => {
  it("prints the GPUs of a capture as indented JSON and exits 0", () => {
    const { status, stdout, stderr } = runCollector("parse", fixture("telegraf/a100-sxm4-v12.xml"));
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toMatch(/^\{\n {2}"gpus": \[\n/);
    const output = JSON.parse(stdout) as { gpus: Record<string, unknown>[] };
    expect(output.gpus).toHaveLength(5);
    expect(output.gpus[0]).toEqual({
      uuid: "GPU-513536b6-7d19-9063-b049-1e69664bb298",
      index: 1,
      name: "NVIDIA A100-SXM4-80GB",
      memoryTotalMiB: 81920,
      memoryUsedMiB: 50,
      utilizationGpuPct: null,
      powerDrawW: 67.03,
      migProfile: null,
      processes: [],
    });
    expect(output.gpus.slice(1).map((gpu) => gpu.migProfile)).toEqual(["1g.20gb", "1g.20gb", "1g.20gb", "1g.20gb"]);
  });

  it("prints a clear message and exits 1 for a file that is not a capture", () => {
    const { status, stdout, stderr } = runCollector("parse", fixture("dcgm-exporter/default-counters.csv"));
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^default-counters\.csv: no GPU readings found: this looks like a dcgm-exporter counter catalog/);
  });
});

describe("runCli", () => {
  const run = (args: string[], files: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runCli(args, {
      readFile: (file) => {
        if (!(file in files)) throw new Error(`ENOENT: no such file or directory, open '${file}'`);
        return files[file];
      },
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
    });
    return { code, stdout: out.join(""), stderr: err.join("") };
  };

  it("exits 2 with the usage for a missing or unknown command, a missing file argument or an unknown option", () => {
    for (const args of [[], ["frobnicate"], ["parse"], ["parse", "a.xml", "b.xml"], ["parse", "a.xml", "--verbose"]]) {
      const { code, stderr } = run(args);
      expect(code).toBe(2);
      expect(stderr).toContain(USAGE);
    }
  });

  it("exits 2 when the file cannot be read", () => {
    const { code, stderr } = run(["parse", "missing.xml"]);
    expect(code).toBe(2);
    expect(stderr).toContain("cannot read missing.xml: ENOENT");
  });

  it("exits 1 with the file, line and field of a malformed value", () => {
    const csv = "index, uuid, name, memory.total [MiB], memory.used [MiB]\n0, GPU-a, Tesla T4, 15360 MiB, 0 MiB\n1, GPU-b, Tesla T4, 15360 MiB, 12x MiB\n";
    const { code, stdout, stderr } = run(["parse", "/tmp/captures/nvidia-smi.csv"], { "/tmp/captures/nvidia-smi.csv": csv });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe('nvidia-smi.csv line 3, field memory.used: "12x MiB" is not a number\n');
  });

  it("passes --fields on for CSV without a header", () => {
    const { code, stdout } = run(["parse", "gpus.csv", "--fields=uuid,memory.used"], { "gpus.csv": "GPU-a, 4 MiB\n" });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).gpus[0]).toMatchObject({ uuid: "GPU-a", memoryUsedMiB: 4, memoryTotalMiB: null });
  });
});

describe("decodeCaptureBytes", () => {
  it("reads UTF-8 with or without a byte-order mark, and UTF-16 with one (PowerShell redirection)", () => {
    const text = "<nvidia_smi_log/>";
    expect(decodeCaptureBytes(Buffer.from(text, "utf8"))).toBe(text);
    expect(decodeCaptureBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]))).toBe(text);
    expect(decodeCaptureBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]))).toBe(text);
    const bigEndian = Buffer.from(text, "utf16le").swap16();
    expect(decodeCaptureBytes(Buffer.concat([Buffer.from([0xfe, 0xff]), bigEndian]))).toBe(text);
  });
});
