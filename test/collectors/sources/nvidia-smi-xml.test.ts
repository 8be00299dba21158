import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseNvidiaSmiXml } from "../../../collectors/sources/nvidia-smi-xml";
import { CaptureParseError } from "../../../collectors/sources/parse-values";

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "nvidia-smi");
const readFixture = (relativePath: string) => readFileSync(path.join(fixturesDir, relativePath), "utf8");

/** A minimal -q -x document around the given <gpu> elements. */
const xmlLog = (gpus: string) =>
  `<?xml version="1.0" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">\n<nvidia_smi_log>\n<driver_version>535.54.03</driver_version>\n<cuda_version>12.2</cuda_version>\n${gpus}\n</nvidia_smi_log>\n`;

const gpuXml = (body: string, id = "00000000:01:00.0") => `<gpu id="${id}">\n${body}\n</gpu>`;

describe("parseNvidiaSmiXml", () => {
  it("reads the A100 in MIG mode: the GPU, then its 4 MIG devices with the GPU as parent", () => {
    const result = parseNvidiaSmiXml(readFixture("telegraf/a100-sxm4-v12.xml"), "a100-sxm4-v12.xml");
    expect(result.driverVersion).toBe("535.54.03");
    expect(result.cudaVersion).toBe("12.2");
    const [gpu, ...migDevices] = result.gpus;
    expect(gpu).toEqual({
      uuid: "GPU-513536b6-7d19-9063-b049-1e69664bb298",
      index: 1,
      modelName: "NVIDIA A100-SXM4-80GB",
      memoryTotalMiB: 81920,
      memoryUsedMiB: 50,
      utilizationGpuPct: null,
      smActivePct: null,
      powerDrawW: 67.03,
      migParentUuid: null,
      migProfile: null,
      processes: [],
    });
    expect(migDevices).toHaveLength(4);
    expect(migDevices.map((device) => device.uuid)).toEqual([3, 4, 5, 6].map((gi) => `MIG-GPU-513536b6-7d19-9063-b049-1e69664bb298/${gi}/0`));
    for (const device of migDevices) {
      expect(device).toMatchObject({
        migParentUuid: "GPU-513536b6-7d19-9063-b049-1e69664bb298",
        migProfile: "1g.20gb",
        index: 1,
        modelName: "NVIDIA A100-SXM4-80GB",
        memoryTotalMiB: 19968,
        memoryUsedMiB: 12,
        utilizationGpuPct: null,
        powerDrawW: null,
        processes: [],
      });
    }
  });

  it("puts a process on the MIG device of its GPU and compute instance", () => {
    const migDevice = (index: number, gi: number, sms: number, totalMiB: number) =>
      `<mig_device><index>${index}</index><gpu_instance_id>${gi}</gpu_instance_id><compute_instance_id>0</compute_instance_id>` +
      `<device_attributes><shared><multiprocessor_count>${sms}</multiprocessor_count></shared></device_attributes>` +
      `<fb_memory_usage><total>${totalMiB} MiB</total><used>100 MiB</used></fb_memory_usage></mig_device>`;
    const xml = xmlLog(
      gpuXml(`
        <product_name>NVIDIA H100 80GB HBM3</product_name><uuid>GPU-h100</uuid><minor_number>0</minor_number>
        <mig_mode><current_mig>Enabled</current_mig></mig_mode>
        <mig_devices>${migDevice(0, 2, 60, 40448)}${migDevice(1, 9, 16, 9984)}</mig_devices>
        <fb_memory_usage><total>81559 MiB</total><used>11125 MiB</used></fb_memory_usage>
        <utilization><gpu_util>N/A</gpu_util></utilization>
        <gpu_power_readings><power_draw>433.78 W</power_draw></gpu_power_readings>
        <processes>
          <process_info><gpu_instance_id>9</gpu_instance_id><compute_instance_id>0</compute_instance_id><pid>21198</pid><type>C</type><process_name>./gpu_burn</process_name><used_memory>7484 MiB</used_memory></process_info>
        </processes>`),
    );
    const [gpu, big, small] = parseNvidiaSmiXml(xml, "h100.xml").gpus;
    expect(gpu.processes).toEqual([]);
    expect([big.migProfile, small.migProfile]).toEqual(["3g.40gb", "1g.10gb"]);
    expect(small.uuid).toBe("MIG-GPU-h100/9/0");
    expect(small.processes).toEqual([{ pid: 21198, name: "./gpu_burn", memoryUsedMiB: 7484 }]);
  });

  it("names compute instances that share a GPU instance with a c prefix, and boards of unknown slice size by memory only", () => {
    const device = (gi: number, ci: number, sms: number, totalMiB: number) =>
      `<mig_device><gpu_instance_id>${gi}</gpu_instance_id><compute_instance_id>${ci}</compute_instance_id>` +
      `<device_attributes><shared><multiprocessor_count>${sms}</multiprocessor_count></shared></device_attributes>` +
      `<fb_memory_usage><total>${totalMiB} MiB</total><used>22 MiB</used></fb_memory_usage></mig_device>`;
    const profiles = (name: string) =>
      parseNvidiaSmiXml(
        xmlLog(gpuXml(`<product_name>${name}</product_name><uuid>GPU-x</uuid><mig_devices>${device(2, 0, 16, 71424)}${device(2, 1, 32, 71424)}${device(9, 0, 16, 16384)}</mig_devices>`)),
        "log.xml",
      )
        .gpus.slice(1)
        .map((gpu) => gpu.migProfile);
    expect(profiles("NVIDIA H200")).toEqual(["1c.3g.70gb", "2c.3g.70gb", "1g.16gb"]);
    expect(profiles("NVIDIA B200")).toEqual(["70gb", "70gb", "16gb"]);
  });

  it("keeps process names with commas and spaces whole", () => {
    const [gpu] = parseNvidiaSmiXml(readFixture("telegraf/rtx-3080-v12.xml"), "rtx-3080-v12.xml").gpus;
    expect(gpu.processes.map((process) => process.pid)).toEqual([835, 1481, 2214, 4044, 42416]);
    expect(gpu.processes.map((process) => process.memoryUsedMiB)).toEqual([550, 18, 79, 541, 159]);
    expect(gpu.processes[2].name).toMatch(/^\/opt\/microsoft\/msedge\/msedge --type=gpu-process .* --field-trial-handle=0,i,3110290512380155730,7457693378709978105,262144 --variations-seed-version$/);
    // Windows/WDDM capture: no minor number, so the index is the document position.
    expect(gpu.index).toBe(0);
  });

  it("reads a Windows vGPU guest: empty process names and N/A memory are null", () => {
    const [gpu] = parseNvidiaSmiXml(readFixture("telegraf/tesla_p4.xml"), "tesla_p4.xml").gpus;
    expect(gpu.modelName).toBe("GRID P4-1Q");
    expect(gpu.powerDrawW).toBeNull();
    expect(gpu.processes).toHaveLength(13);
    expect(gpu.processes.every((process) => process.memoryUsedMiB === null)).toBe(true);
    expect(gpu.processes.filter((process) => process.name === null)).toHaveLength(12);
  });

  it("reads several GPUs, indexed by minor number rather than document order", () => {
    const gpus = parseNvidiaSmiXml(readFixture("pai/nvidia_smi_out_of_order.xml"), "out_of_order.xml").gpus;
    expect(gpus.map((gpu) => [gpu.index, gpu.uuid])).toEqual([
      [1, "GPU-c3b26f7a-8dcb-619c-fa1b-8029265a4db0"],
      [2, "GPU-b01b80eb-0f18-1df0-cf88-0725bd90f1e1"],
      [3, "GPU-30bc2701-3bc2-5f35-0ebd-9867a077e138"],
      [0, "GPU-3341aba2-f01d-2c1f-7dd4-e389779faec2"],
    ]);
    expect(gpus[0]).toMatchObject({ modelName: "Tesla K80", memoryTotalMiB: 11441, memoryUsedMiB: 587, utilizationGpuPct: 99, powerDrawW: 135.72 });
    expect(gpus[0].processes).toEqual([{ pid: 58813, name: "python", memoryUsedMiB: 576 }]);
    expect(gpus[3].processes).toEqual([]);
  });

  it("reads a document with the whole DTD inline (--dtd)", () => {
    const result = parseNvidiaSmiXml(readFixture("rai-project_nvidia-smi/example2.xml"), "example2.xml");
    expect(result.driverVersion).toBe("352.99");
    expect(result.gpus).toEqual([
      expect.objectContaining({ uuid: "GPU-cc96d6f4-7f66-e1fc-8179-a45dbd47664c", modelName: "GRID K520", memoryTotalMiB: 4095, memoryUsedMiB: 11, powerDrawW: 17.95 }),
    ]);
  });

  it("reads a document without a DOCTYPE", () => {
    const result = parseNvidiaSmiXml(readFixture("telegraf/gtx-1660-ti.xml"), "gtx-1660-ti.xml");
    expect(result.gpus).toEqual([
      expect.objectContaining({ uuid: "GPU-304a277d-3545-63b8-3a36-dfde3c992989", modelName: "Graphics Device", memoryTotalMiB: 5912, powerDrawW: 8.93 }),
    ]);
  });

  it("reads one <process_info> and several alike, and a self-closing or missing <processes>", () => {
    const processInfo = (pid: number) => `<process_info><pid>${pid}</pid><process_name>p${pid}</process_name><used_memory>${pid} MiB</used_memory></process_info>`;
    const xml = xmlLog(
      [
        gpuXml(`<uuid>GPU-one</uuid><processes>${processInfo(1)}</processes>`, "0"),
        gpuXml(`<uuid>GPU-two</uuid><processes>${processInfo(2)}${processInfo(3)}</processes>`, "1"),
        gpuXml(`<uuid>GPU-none</uuid><processes />`, "2"),
        gpuXml(`<uuid>GPU-empty</uuid><processes>\n</processes>`, "3"),
        gpuXml(`<uuid>GPU-trimmed</uuid>`, "4"),
      ].join("\n"),
    );
    const gpus = parseNvidiaSmiXml(xml, "log.xml").gpus;
    expect(gpus.map((gpu) => gpu.processes.map((process) => process.pid))).toEqual([[1], [2, 3], [], [], []]);
    expect(gpus.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3, 4]);
    expect(gpus[4]).toMatchObject({ modelName: null, memoryTotalMiB: null, memoryUsedMiB: null, utilizationGpuPct: null, powerDrawW: null });
  });

  it("reads the power draw where each driver generation puts it", () => {
    const power = (body: string) => parseNvidiaSmiXml(xmlLog(gpuXml(`<uuid>GPU-a</uuid>${body}`)), "log.xml").gpus[0].powerDrawW;
    expect(power("<power_readings><power_draw>26.78 W</power_draw></power_readings>")).toBe(26.78);
    expect(power("<gpu_power_readings><power_draw>67.03 W</power_draw></gpu_power_readings>")).toBe(67.03);
    expect(power("<gpu_power_readings><power_draw> N/A </power_draw><instant_power_draw> 66.84 W </instant_power_draw></gpu_power_readings>")).toBe(66.84);
    expect(power("<module_power_readings><power_draw>410.00 W</power_draw></module_power_readings>")).toBe(410);
    expect(power("<power_readings><power_draw>N/A</power_draw></power_readings>")).toBeNull();
  });

  it("reads the processes of DTD v6 and older, listed under <compute_processes>", () => {
    // Shape of driver 340 (nvsmi_device_v6.dtd) output: 8 processes, no <processes> element.
    const processInfo = (pid: number) =>
      `<process_info><pid>${pid}</pid><process_name>/opt/solver/bin/solver</process_name><used_memory>98 MiB</used_memory></process_info>`;
    const pids = [5493, 5494, 5495, 5496, 6390, 6391, 6392, 6393];
    const xml =
      `<?xml version="1.0" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v6.dtd">\n<nvidia_smi_log>\n<driver_version>340.24</driver_version>\n` +
      gpuXml(
        `<product_name>Tesla K20m</product_name><uuid>GPU-k20m</uuid><minor_number>0</minor_number>` +
          `<fb_memory_usage><total>4799 MiB</total><used>828 MiB</used><free>3971 MiB</free></fb_memory_usage>` +
          `<utilization><gpu_util>04 %</gpu_util></utilization>` +
          `<compute_processes>\n${pids.map(processInfo).join("\n")}\n</compute_processes>\n<accounted_processes>\n</accounted_processes>`,
        "0000:0D:00.0",
      ) +
      "\n</nvidia_smi_log>\n";
    const [gpu] = parseNvidiaSmiXml(xml, "k20m.xml").gpus;
    expect(gpu.utilizationGpuPct).toBe(4);
    expect(gpu.processes).toHaveLength(8);
    expect(gpu.processes.map((process) => process.pid)).toEqual(pids);
    expect(gpu.processes[0]).toEqual({ pid: 5493, name: "/opt/solver/bin/solver", memoryUsedMiB: 98 });
  });

  it("reads DTD v2 memory_usage in MB, the unit drivers of that age printed for MiB", () => {
    const xml = xmlLog(
      gpuXml(
        `<product_name>Tesla M2090</product_name><uuid>GPU-m2090</uuid>` +
          `<memory_usage><total>5375 MB</total><used>2594 MB</used><free>2781 MB</free></memory_usage>` +
          `<compute_processes><process_info><pid>26931</pid><process_name>/usr/bin/python</process_name><used_memory>2577 MB</used_memory></process_info></compute_processes>`,
      ),
    );
    const [gpu] = parseNvidiaSmiXml(xml, "m2090.xml").gpus;
    expect(gpu).toMatchObject({ memoryTotalMiB: 5375, memoryUsedMiB: 2594 });
    expect(gpu.processes).toEqual([{ pid: 26931, name: "/usr/bin/python", memoryUsedMiB: 2577 }]);
  });

  it("names the element of a malformed value", () => {
    const xml = xmlLog(gpuXml("<uuid>GPU-a</uuid><fb_memory_usage><total>12x MiB</total></fb_memory_usage>"));
    expect(() => parseNvidiaSmiXml(xml, "log.xml")).toThrow('log.xml, field gpu[00000000:01:00.0]/fb_memory_usage/total: "12x MiB" is not a number');
  });

  it("reports XML that is not well-formed with its line", () => {
    const parse = () => parseNvidiaSmiXml("<nvidia_smi_log>\n<gpu>\n<uuid>GPU-a</gpu>\n</nvidia_smi_log>", "broken.xml");
    expect(parse).toThrow(CaptureParseError);
    expect(parse).toThrow(/^broken\.xml line 3: not well-formed XML/);
  });

  it("refuses XML that is not nvidia-smi output", () => {
    expect(() => parseNvidiaSmiXml("<?xml version='1.0'?><feed><entry/></feed>", "feed.xml")).toThrow(
      "feed.xml: not nvidia-smi -q -x output: the root element is <feed>, not <nvidia_smi_log>",
    );
  });
});
