/**
 * Parses `nvidia-smi -q -x` (XML) output, from DTD v2 (driver 285) to v13
 * (driver 595).
 *
 * The XML varies with the driver and with who saved it: the DOCTYPE may be
 * missing, a SYSTEM reference or a whole inline DTD (--dtd); an element that
 * occurs once parses as an object and several times as an array; "no processes"
 * is <processes />, an empty element, or no element at all; containers hold
 * text instead of children ("<mig_devices>None</mig_devices>"); element names
 * change (power_readings became gpu_power_readings in R535, processes were
 * compute_processes up to DTD v6, memory was memory_usage in "MB" up to about
 * DTD v3). Everything is read defensively: a missing element is an absent
 * value, not an error.
 *
 * fast-xml-parser never fetches external entities or DTDs, so a capture cannot
 * make the parser read files or the network.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import {
  CaptureParseError,
  emptyParsedGpu,
  migDeviceId,
  parseIntegerValue,
  parseNumberValue,
  parseTextValue,
  type ParsedGpu,
  type ParsedProcess,
  type ValueUnit,
} from "./parse-values";

export interface NvidiaSmiXmlResult {
  driverVersion: string | null;
  cudaVersion: string | null;
  /** Physical GPUs in document order, each followed by its MIG devices. */
  gpus: ParsedGpu[];
}

/** Elements that repeat: always read as arrays, however many the capture has. */
const REPEATED_ELEMENTS = new Set([
  "nvidia_smi_log.gpu",
  "nvidia_smi_log.gpu.processes.process_info",
  "nvidia_smi_log.gpu.compute_processes.process_info",
  "nvidia_smi_log.gpu.mig_devices.mig_device",
]);

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  // Values stay strings: units, N/A and padding are handled by parse-values.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (_name, jPath) => typeof jPath === "string" && REPEATED_ELEMENTS.has(jPath),
});

type XmlNode = Record<string, unknown>;

const isNode = (value: unknown): value is XmlNode => typeof value === "object" && value !== null && !Array.isArray(value);

/** The child at `path`, or undefined where any step is missing or is text. */
function child(node: unknown, ...path: string[]): unknown {
  let current = node;
  for (const step of path) {
    if (!isNode(current)) return undefined;
    current = current[step];
  }
  return current;
}

/** Text of a leaf element; undefined for a missing element or one with children. */
function leafText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (isNode(value) && typeof value["#text"] === "string") return value["#text"];
  return undefined;
}

/** Child elements that repeat, whether the parser gave an array, one object or text ("None", ""). */
function elements(value: unknown): XmlNode[] {
  if (Array.isArray(value)) return value.filter(isNode);
  return isNode(value) ? [value] : [];
}

class GpuFieldReader {
  constructor(
    private readonly source: string,
    private readonly label: string,
    private readonly node: XmlNode,
  ) {}

  private location(path: string[]) {
    return { source: this.source, field: `${this.label}/${path.join("/")}` };
  }

  text(...path: string[]): string | null {
    return parseTextValue(leafText(child(this.node, ...path)));
  }

  number(unit: ValueUnit | undefined, ...path: string[]): number | null {
    return parseNumberValue(leafText(child(this.node, ...path)), this.location(path), unit);
  }

  integer(...path: string[]): number | null {
    return parseIntegerValue(leafText(child(this.node, ...path)), this.location(path));
  }
}

/**
 * Power draw in W. Drivers before R535 put it in power_readings, later ones in
 * gpu_power_readings; since R580 power_draw can be N/A while instant_power_draw
 * is set. module_power_readings (the whole module, e.g. Grace Hopper) is the
 * last resort, for boards that report nothing else.
 */
function powerDrawW(read: GpuFieldReader): number | null {
  for (const group of ["gpu_power_readings", "power_readings", "module_power_readings"]) {
    for (const field of ["power_draw", "instant_power_draw", "average_power_draw"]) {
      const value = read.number("W", group, field);
      if (value !== null) return value;
    }
  }
  return null;
}

/**
 * SMs per compute slice on the MIG-capable families whose slice size is known:
 * A100/A800/A30 have 14, H100 SXM/NVL, H200 and GH200 have 16. Other boards
 * (H100 PCIe, Blackwell) get a memory-only profile rather than a guessed one.
 */
function smPerSlice(modelName: string | null): number | null {
  if (!modelName) return null;
  if (/\bA100\b|\bA800\b|\bA30\b/i.test(modelName)) return 14;
  if (/PCIe/i.test(modelName)) return null;
  if (/\bH100\b|\bH200\b|\bGH200\b/i.test(modelName)) return 16;
  return null;
}

interface MigDeviceFacts {
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
  multiprocessorCount: number | null;
  memoryTotalMiB: number | null;
}

/**
 * The XML does not name a MIG device's profile, so it is derived in NVIDIA's
 * notation: compute slices from the SM count, memory as the GiB total rounded up
 * ("1g.20gb"; "1c.3g.71gb" for a compute instance that shares its GPU instance).
 * The memory figure can differ by a GB from NVIDIA's marketed name on boards
 * whose slices are not a whole number of GiB (H200: 70gb for "71gb").
 */
function deriveMigProfile(device: MigDeviceFacts, gpuInstanceSmCount: number | null, sharesGpuInstance: boolean, modelName: string | null): string | null {
  if (device.memoryTotalMiB === null) return null;
  const memory = `${Math.ceil(device.memoryTotalMiB / 1024)}gb`;
  const perSlice = smPerSlice(modelName);
  if (perSlice === null || gpuInstanceSmCount === null) return memory;
  // A full GPU has 7 compute slices; H100 7g has 132 SMs, more than 7 x 16.
  const slices = (sms: number) => Math.max(1, Math.min(7, Math.floor(sms / perSlice)));
  const gpuSlices = `${slices(gpuInstanceSmCount)}g.${memory}`;
  if (!sharesGpuInstance || device.multiprocessorCount === null) return gpuSlices;
  return `${slices(device.multiprocessorCount)}c.${gpuSlices}`;
}

/** DTD v6 and older list processes under <compute_processes>; v7 and later under <processes>. */
const PROCESS_CONTAINERS = ["processes", "compute_processes"] as const;

function readProcesses(source: string, label: string, gpuNode: XmlNode) {
  const nodes = PROCESS_CONTAINERS.flatMap((container) =>
    elements(child(gpuNode, container, "process_info")).map((node, i) => ({ node, path: `${container}/process_info[${i + 1}]` })),
  );
  return nodes.flatMap(({ node, path }) => {
    const read = new GpuFieldReader(source, `${label}/${path}`, node);
    const pid = read.integer("pid");
    // A process without a pid cannot be attributed to a job.
    if (pid === null) return [];
    const process: ParsedProcess = { pid, name: read.text("process_name"), memoryUsedMiB: read.number("MiB", "used_memory") };
    return [{ process, gpuInstanceId: read.integer("gpu_instance_id"), computeInstanceId: read.integer("compute_instance_id") }];
  });
}

function readGpu(source: string, gpuNode: XmlNode, position: number): ParsedGpu[] {
  const id = leafText(gpuNode["@_id"]);
  const label = `gpu[${id ?? position + 1}]`;
  const read = new GpuFieldReader(source, label, gpuNode);
  const gpu = emptyParsedGpu();
  gpu.uuid = read.text("uuid");
  // The XML has no nvidia-smi index. The minor number (/dev/nvidiaN) is stable
  // and matches it on Linux; Windows prints N/A, and there document order is the
  // enumeration order. Order alone is not enough on Linux: trimmed captures drop
  // GPUs, and minor numbers need not follow PCI order.
  gpu.index = read.integer("minor_number") ?? position;
  gpu.modelName = read.text("product_name");
  // DTD v2-v3 (drivers up to ~R295) call the framebuffer memory_usage.
  gpu.memoryTotalMiB = read.number("MiB", "fb_memory_usage", "total") ?? read.number("MiB", "memory_usage", "total");
  gpu.memoryUsedMiB = read.number("MiB", "fb_memory_usage", "used") ?? read.number("MiB", "memory_usage", "used");
  gpu.utilizationGpuPct = read.number("%", "utilization", "gpu_util");
  gpu.powerDrawW = powerDrawW(read);

  const migNodes = elements(child(gpuNode, "mig_devices", "mig_device"));
  const migFacts = migNodes.map((node, i) => {
    const migRead = new GpuFieldReader(source, `${label}/mig_devices/mig_device[${i + 1}]`, node);
    return {
      read: migRead,
      facts: {
        gpuInstanceId: migRead.integer("gpu_instance_id"),
        computeInstanceId: migRead.integer("compute_instance_id"),
        multiprocessorCount: migRead.integer("device_attributes", "shared", "multiprocessor_count"),
        memoryTotalMiB: migRead.number("MiB", "fb_memory_usage", "total"),
      } satisfies MigDeviceFacts,
    };
  });
  const migDevices: { gpu: ParsedGpu; gpuInstanceId: number | null; computeInstanceId: number | null }[] = [];
  for (const { read: migRead, facts } of migFacts) {
    const sameInstance = migFacts.filter((other) => other.facts.gpuInstanceId === facts.gpuInstanceId);
    const smCounts = sameInstance.map((other) => other.facts.multiprocessorCount);
    const gpuInstanceSmCount = smCounts.every((count) => count !== null) ? smCounts.reduce((sum: number, count) => sum + (count ?? 0), 0) : null;
    const device = emptyParsedGpu();
    const parentUuid = gpu.uuid;
    device.uuid =
      migRead.text("uuid") ??
      (parentUuid !== null && facts.gpuInstanceId !== null ? migDeviceId(parentUuid, facts.gpuInstanceId, facts.computeInstanceId ?? 0) : null);
    // A MIG device is addressed by its UUID; its index is its GPU's.
    device.index = gpu.index;
    device.modelName = gpu.modelName;
    device.migParentUuid = parentUuid;
    device.migProfile = deriveMigProfile(facts, gpuInstanceSmCount, sameInstance.length > 1, gpu.modelName);
    device.memoryTotalMiB = facts.memoryTotalMiB;
    device.memoryUsedMiB = migRead.number("MiB", "fb_memory_usage", "used");
    // Per-instance utilization is N/A (or missing) in the XML under MIG; read it where a driver prints it.
    device.utilizationGpuPct = migRead.number("%", "utilization", "gpu_util");
    migDevices.push({ gpu: device, gpuInstanceId: facts.gpuInstanceId, computeInstanceId: facts.computeInstanceId });
  }

  // Under MIG a process names its GPU and compute instance; it belongs to that
  // MIG device. Without MIG (ids N/A) it belongs to the GPU.
  for (const { process, gpuInstanceId, computeInstanceId } of readProcesses(source, label, gpuNode)) {
    const owner =
      gpuInstanceId === null
        ? undefined
        : (migDevices.find((mig) => mig.gpuInstanceId === gpuInstanceId && (computeInstanceId === null || mig.computeInstanceId === computeInstanceId)) ??
          migDevices.find((mig) => mig.gpuInstanceId === gpuInstanceId));
    (owner?.gpu ?? gpu).processes.push(process);
  }
  return [gpu, ...migDevices.map((mig) => mig.gpu)];
}

export interface XmlParseOptions {
  /** Line number, in the whole capture, of the text's first line (default 1). */
  firstLineNumber?: number;
}

/** Parses `nvidia-smi -q -x` output. `source` labels the capture in error messages. */
export function parseNvidiaSmiXml(text: string, source: string, options: XmlParseOptions = {}): NvidiaSmiXmlResult {
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const offset = (options.firstLineNumber ?? 1) - 1;
    // The validator's message may name other lines ("opened in line 4"); they get the same offset.
    const message = validation.err.msg.replace(/\bline (\d+)/g, (_match, line: string) => `line ${Number(line) + offset}`);
    throw new CaptureParseError({ source, line: validation.err.line + offset }, `not well-formed XML: ${message}`);
  }
  const document: unknown = xmlParser.parse(text);
  const log = child(document, "nvidia_smi_log");
  if (log === undefined) {
    const root = isNode(document) ? Object.keys(document).find((key) => !key.startsWith("?") && !key.startsWith("#")) : undefined;
    throw new CaptureParseError({ source }, `not nvidia-smi -q -x output: the root element is <${root ?? "?"}>, not <nvidia_smi_log>`);
  }
  return {
    driverVersion: parseTextValue(leafText(child(log, "driver_version"))),
    cudaVersion: parseTextValue(leafText(child(log, "cuda_version"))),
    gpus: elements(child(log, "gpu")).flatMap((gpuNode, position) => readGpu(source, gpuNode, position)),
  };
}
