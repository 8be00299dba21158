import { describe, expect, it } from "vitest";
import { amdSmiSource, rocmSmiSource } from "../../collectors/sources/run-amd-smi";
import { hlSmiSource } from "../../collectors/sources/run-hl-smi";
import { nvidiaSmiSource, type CommandRunner } from "../../collectors/sources/run-nvidia-smi";
import { dcgmExporterSource } from "../../collectors/sources/scrape-dcgm";

describe("nvidiaSmiSource", () => {
  it("runs --query-gpu and --query-compute-apps without header or units and puts processes on their GPU", async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (_file, args) => {
      calls.push([...args]);
      if (args[0].startsWith("--query-gpu")) {
        return "0, GPU-aaa, NVIDIA A100-SXM4-80GB, 81920, 1200, 35, 98.5, Disabled\n1, GPU-bbb, NVIDIA A100-SXM4-80GB, 81920, 0, 0, 60.1, Disabled\n";
      }
      return "4242, python, GPU-aaa, 1100\n";
    };
    const poll = await nvidiaSmiSource({ run }).poll(0);
    expect(calls).toEqual([
      ["--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,power.draw,mig.mode.current", "--format=csv,noheader,nounits"],
      ["--query-compute-apps=pid,process_name,gpu_uuid,used_memory", "--format=csv,noheader,nounits"],
    ]);
    expect(poll.kind).toBe("parsed");
    expect(poll.gpus.map((gpu) => [gpu.uuid, gpu.utilizationGpuPct, gpu.processes.map((process) => process.pid)])).toEqual([
      ["GPU-aaa", 35, [4242]],
      ["GPU-bbb", 0, []],
    ]);
  });

  it("samples pmon only when a GPU is shared, and gives each process its SM utilization", async () => {
    const calls: string[] = [];
    const pmonText = ["# gpu pid type sm mem enc dec command", "# Idx # C/G % % % % name", "0 4242 C 60 5 - - python", "0 4243 C 20 1 - - python"].join("\n");
    const run: CommandRunner = async (_file, args) => {
      calls.push(args[0]);
      if (args[0].startsWith("--query-gpu")) return "0, GPU-aaa, NVIDIA A100-SXM4-80GB, 81920, 1200, 80, 98.5, Disabled\n";
      if (args[0] === "pmon") return pmonText;
      return "4242, python, GPU-aaa, 1100\n4243, python, GPU-aaa, 300\n";
    };
    const poll = await nvidiaSmiSource({ run }).poll(0);
    expect(calls[2]).toBe("pmon");
    expect(poll.kind === "parsed" && poll.gpus[0].processes.map((process) => [process.pid, process.utilizationPct])).toEqual([
      [4242, 60],
      [4243, 20],
    ]);

    const failing: CommandRunner = async (file, args, options) => {
      if (args[0] === "pmon") throw new Error("pmon: not supported");
      return run(file, args, options);
    };
    const fallback = await nvidiaSmiSource({ run: failing }).poll(0);
    expect(fallback.kind === "parsed" && fallback.gpus[0].processes.map((process) => process.utilizationPct ?? null)).toEqual([null, null]);
  });

  it("drops mig.mode.current for drivers that do not know it", async () => {
    const calls: string[] = [];
    const run: CommandRunner = async (_file, args) => {
      calls.push(args[0]);
      if (args[0].includes("mig.mode.current")) throw new Error('Field "mig.mode.current" is not a valid field to query.');
      return args[0].startsWith("--query-gpu") ? "0, GPU-aaa, Tesla V100, 16160, 0, 0, 40\n" : "";
    };
    const source = nvidiaSmiSource({ run });
    await source.poll(0);
    await source.poll(0);
    expect(calls.filter((call) => call.includes("mig.mode.current"))).toHaveLength(1);
  });
});

describe("dcgmExporterSource", () => {
  it("scrapes the exporter and keeps its pod labels for attribution", async () => {
    const labels = 'gpu="0",UUID="GPU-aaa",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-a",pod="trainer-0",namespace="ml",container="main"';
    const text = [
      "# TYPE DCGM_FI_DEV_GPU_UTIL gauge",
      `DCGM_FI_DEV_GPU_UTIL{${labels}} 71`,
      "# TYPE DCGM_FI_DEV_FB_USED gauge",
      `DCGM_FI_DEV_FB_USED{${labels}} 1000`,
      "# TYPE DCGM_FI_DEV_FB_FREE gauge",
      `DCGM_FI_DEV_FB_FREE{${labels}} 80000`,
      "# TYPE DCGM_FI_DEV_POWER_USAGE gauge",
      `DCGM_FI_DEV_POWER_USAGE{${labels}} 250.5`,
      "",
    ].join("\n");
    const fetchImpl = (async () => new Response(text)) as unknown as typeof fetch;
    const poll = await dcgmExporterSource({ url: "http://localhost:9400/metrics", fetchImpl }).poll(0);
    expect(poll.gpus.map((gpu) => [gpu.uuid, gpu.utilizationGpuPct, gpu.powerDrawW])).toEqual([["GPU-aaa", 71, 250.5]]);
    expect(poll.kind === "parsed" && poll.dcgmDetails?.[0].workloads).toEqual([{ pod: "trainer-0", namespace: "ml", container: "main", hpcJob: null }]);
  });

  it("fails the poll on a non-2xx answer", async () => {
    const fetchImpl = (async () => new Response("down", { status: 503 })) as unknown as typeof fetch;
    await expect(dcgmExporterSource({ url: "http://localhost:9400/metrics", fetchImpl }).poll(0)).rejects.toThrow("HTTP 503");
  });
});

describe("amdSmiSource", () => {
  it("reads list and static once, metric and process on every poll, and joins them by GPU index", async () => {
    const calls: string[] = [];
    const run: CommandRunner = async (file, args) => {
      calls.push(`${file} ${args.join(" ")}`);
      switch (args[0]) {
        case "list":
          return JSON.stringify([{ gpu: 0, bdf: "0000:0c:00.0", uuid: "70ff74a1-0000-1000-80ea-a8f2b4b0c2d1" }]);
        case "static":
          return JSON.stringify([{ gpu: 0, asic: { market_name: "AMD Instinct MI300X" } }]);
        case "metric":
          return JSON.stringify([{ gpu: 0, usage: { gfx_activity: { value: 88, unit: "%" } }, power: { socket_power: { value: 650, unit: "W" } }, mem_usage: { total_vram: { value: 196592, unit: "MB" }, used_vram: { value: 150000, unit: "MB" } } }]);
        default:
          return JSON.stringify([{ gpu: 0, process_list: [{ process_info: { name: "python3", pid: 4242, memory_usage: { vram_mem: { value: 1048576, unit: "B" } } } }] }]);
      }
    };
    const source = amdSmiSource({ run });
    const first = await source.poll(0);
    await source.poll(0);
    expect(calls).toEqual([
      "amd-smi list --json",
      "amd-smi static --asic --json",
      "amd-smi metric --usage --power --mem-usage --json",
      "amd-smi process --json",
      "amd-smi metric --usage --power --mem-usage --json",
      "amd-smi process --json",
    ]);
    expect(first.kind === "parsed" && first.gpus.map((gpu) => [gpu.uuid, gpu.modelName, gpu.utilizationGpuPct, gpu.processes])).toEqual([
      ["GPU-70ff74a1-0000-1000-80ea-a8f2b4b0c2d1", "AMD Instinct MI300X", 88, [{ pid: 4242, name: "python3", memoryUsedMiB: 1 }]],
    ]);
  });
});

describe("rocmSmiSource", () => {
  it("runs one rocm-smi call for identity, model, use, VRAM and power", async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (_file, args) => {
      calls.push([...args]);
      return JSON.stringify({ card0: { "Unique ID": "0x1", "GPU use (%)": "7", "Card Series": "Instinct MI210", "VRAM Total Memory (B)": "68702699520" } });
    };
    const poll = await rocmSmiSource({ run }).poll(0);
    expect(calls).toEqual([["--showuniqueid", "--showproductname", "--showuse", "--showmeminfo", "vram", "--showpower", "--json"]]);
    expect(poll.kind === "parsed" && poll.gpus.map((gpu) => [gpu.uuid, gpu.modelName, gpu.memoryTotalMiB])).toEqual([["GPU-1", "AMD Instinct MI210", 65520]]);
  });
});

describe("hlSmiSource", () => {
  it("runs the --query-aip of the collector's fields without header or units", async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (_file, args) => {
      calls.push([...args]);
      return "0, 01P4-HL3090A0-18-UAN071-12-03-01, HL-325L, 131072, 120800, 97, 812\n";
    };
    const poll = await hlSmiSource({ run }).poll(0);
    expect(calls).toEqual([["--query-aip=index,uuid,name,memory.total,memory.used,utilization.aip,power.draw", "--format=csv,noheader,nounits"]]);
    expect(poll.kind === "parsed" && poll.gpus.map((gpu) => [gpu.uuid, gpu.modelName, gpu.utilizationGpuPct])).toEqual([["GAUDI-01P4-HL3090A0-18-UAN071-12-03-01", "Intel Gaudi 3", 97]]);
  });
});
