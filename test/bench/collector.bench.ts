/**
 * Collector cost on a node: CPU time and resident memory of `collector run`
 * polling a simulated 8-GPU node every second (default one minute, measured
 * after a warm-up so startup is not counted), and the parse time of the largest
 * nvidia-smi XML capture in the fixtures.
 *
 * The collector runs as a child process (node --import tsx, one pid) and is
 * measured from /proc/<pid>/stat (utime + stime) and /proc/<pid>/status (VmRSS,
 * VmHWM), so the benchmark's own work is not counted. Linux only.
 *
 * Alone: npx tsx test/bench/collector.bench.ts   (GPU_ROI_BENCH_COLLECTOR_SECONDS=60)
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseNvidiaSmiXml } from "../../collectors/sources/nvidia-smi-xml";
import { formatMs, markdownTable, median, percentile, timeRuns, type Benchmark, type BenchSection } from "./bench-kit";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = path.join(PROJECT_ROOT, "test", "fixtures", "nvidia-smi");

interface ProcessSample {
  cpuMs: number;
  rssKiB: number;
  peakRssKiB: number;
}

function sampleProcess(pid: number, clockTicksPerSecond: number): ProcessSample {
  // Fields after the command name (which may contain spaces) start at field 3; utime and stime are fields 14 and 15.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { cpuMs: (ticks * 1000) / clockTicksPerSecond, rssKiB: kib("VmRSS"), peakRssKiB: kib("VmHWM") };
}

function largestXmlCapture(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".xml")) files.push(full);
    }
  };
  walk(FIXTURES);
  return files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measureCollector(log: (line: string) => void, measuredSeconds: number) {
  const clockTicksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
  // A stand-in server that acknowledges every batch: the collector's cost, not the server's, is measured.
  let batches = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      batches += 1;
      response.writeHead(200, { "content-type": "application/json" }).end('{"batchId":"","duplicate":false,"gpuWindowsStored":0,"jobWindowsStored":0,"windowsAlreadyStored":0}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-bench-spool-"));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "collectors/cli.ts", "run", "--source", "simulator", "--interval", "1s", "--window", "10s", "--metrics-port", "0", "--spool", spoolDir],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, GPU_ROI_SERVER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, GPU_ROI_TOKEN: "bench" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const warmupMs = 5000;
    await sleep(warmupMs);
    if (child.pid === undefined || child.exitCode !== null) throw new Error(`collector did not start: ${stderr}`);
    const before = sampleProcess(child.pid, clockTicksPerSecond);
    log(`collector: measuring ${measuredSeconds} s of polling (pid ${child.pid})`);
    await sleep(measuredSeconds * 1000);
    const after = sampleProcess(child.pid, clockTicksPerSecond);
    return { before, after, batchesReceived: batches, startupCpuMs: before.cpuMs };
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    server.close();
    fs.rmSync(spoolDir, { recursive: true, force: true });
  }
}

export const collectorBenchmark: Benchmark = {
  name: "collector",
  async run(log): Promise<BenchSection> {
    const measuredSeconds = Number(process.env.GPU_ROI_BENCH_COLLECTOR_SECONDS ?? 60);
    const collector = await measureCollector(log, measuredSeconds);
    const cpuMs = collector.after.cpuMs - collector.before.cpuMs;

    const xmlPath = largestXmlCapture();
    const xml = fs.readFileSync(xmlPath, "utf8");
    log(`collector: parsing ${path.relative(PROJECT_ROOT, xmlPath)} (${xml.length} bytes)`);
    const parseMs = await timeRuns(() => parseNvidiaSmiXml(xml, "bench"), 200, 20);

    const body = [
      markdownTable(
        ["Measure", "Value"],
        [
          [`CPU time over ${measuredSeconds} s of 1 s polls`, `${formatMs(cpuMs)} ms (${((cpuMs / (measuredSeconds * 1000)) * 100).toFixed(2)} % of one core)`],
          ["CPU time per poll", `${formatMs(cpuMs / measuredSeconds)} ms`],
          ["Startup CPU time (tsx, first 5 s)", `${formatMs(collector.startupCpuMs)} ms`],
          ["Resident memory at end", `${(collector.after.rssKiB / 1024).toFixed(1)} MiB`],
          ["Peak resident memory", `${(collector.after.peakRssKiB / 1024).toFixed(1)} MiB`],
          ["Resident memory growth over the run", `${((collector.after.rssKiB - collector.before.rssKiB) / 1024).toFixed(1)} MiB`],
          ["Batches acknowledged (10 s windows)", collector.batchesReceived],
          [`Parse of ${path.basename(xmlPath)} (${(xml.length / 1024).toFixed(1)} KiB), median`, `${formatMs(median(parseMs))} ms`],
          ["Same, p95", `${formatMs(percentile(parseMs, 0.95))} ms`],
        ],
      ),
      "",
      "The collector ran as its own process (`collector run --source simulator`, 8 GPUs, 1 s interval, 10 s windows) against a stand-in server that acknowledges every batch; CPU time is utime + stime from /proc, measured after a 5 s warm-up.",
    ].join("\n");
    return {
      title: "Collector cost on a node",
      command: "npx tsx test/bench/collector.bench.ts",
      data: `simulated 8-GPU node (seed 42), ${measuredSeconds} s; ${path.relative(PROJECT_ROOT, xmlPath)}`,
      body,
    };
  },
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const section = await collectorBenchmark.run((line) => console.error(line));
  console.log(`## ${section.title}\n\n${section.command}\n\n${section.data}\n\n${section.body}`);
}
