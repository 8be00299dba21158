import { describe, expect, it } from "vitest";
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
