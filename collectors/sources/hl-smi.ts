/**
 * Parses Intel Gaudi's hl-smi CSV query into GPU readings:
 *   hl-smi --query-aip=index,uuid,name,memory.total,memory.used,utilization.aip,power.draw --format=csv,noheader,nounits
 * The format is nvidia-smi's (", " separated, "[MiB]" units in the header,
 * "131072 MiB" in values unless nounits), so the CSV reading is shared with
 * nvidia-smi-csv.ts. Names are board part numbers (HL-225, HL-325L), turned into
 * model names (Intel Gaudi 2, Intel Gaudi 3). hl-smi's query has no processes.
 */
import { canonicalAcceleratorModel } from "./accelerator-models";
import { readCsvRecords, type CsvParseOptions } from "./nvidia-smi-csv";
import { emptyParsedGpu, roundPct, type ParsedGpu } from "./parse-values";

/** The --query-aip fields the collector asks for; all exist in hl-smi 1.x. */
export const HL_SMI_QUERY_FIELDS = ["index", "uuid", "name", "memory.total", "memory.used", "utilization.aip", "power.draw"] as const;

/** Parses hl-smi --query-aip CSV (with or without header and units) into one ParsedGpu per row. */
export function parseHlSmiCsv(text: string, options: CsvParseOptions): ParsedGpu[] {
  return readCsvRecords(text, options).map((read) => {
    const gpu = emptyParsedGpu();
    gpu.index = read.integer("index");
    const uuid = read.text("uuid");
    // Gaudi UUIDs are serial-like ("01P4-HL3090A0-18-UAN071-12-03-01"); the prefix keeps them apart from other vendors'.
    gpu.uuid = uuid === null ? null : uuid.startsWith("GAUDI-") ? uuid : `GAUDI-${uuid}`;
    gpu.modelName = canonicalAcceleratorModel(read.text("name"));
    gpu.memoryTotalMiB = read.number("memory.total", "MiB");
    gpu.memoryUsedMiB = read.number("memory.used", "MiB");
    if (gpu.memoryTotalMiB === null && gpu.memoryUsedMiB !== null) {
      const freeMiB = read.number("memory.free", "MiB");
      if (freeMiB !== null) gpu.memoryTotalMiB = gpu.memoryUsedMiB + freeMiB;
    }
    gpu.utilizationGpuPct = roundPct(read.number("utilization.aip", "%"));
    gpu.powerDrawW = read.number("power.draw", "W");
    return gpu;
  });
}

/** True when a CSV header (or field list) is an hl-smi --query-aip one. */
export function isHlSmiFieldList(fields: readonly string[]): boolean {
  return fields.some((field) => field.endsWith(".aip"));
}
