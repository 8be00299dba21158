/**
 * One name per accelerator model, whatever the tool prints, so the price book,
 * the estimator's throughput table and the optimizer see an AMD Instinct or
 * Intel Gaudi card like any GPU model: amd-smi says "AMD Instinct MI300X" (or
 * "... VF" inside a VM, or "MI300X-O" on some firmware), rocm-smi "Instinct
 * MI300X" or "AMD Instinct MI300X OAM", hl-smi the board part number ("HL-225",
 * "HL-325L"). NVIDIA names are left as nvidia-smi prints them (the price book
 * already uses those).
 */

/** Intel Gaudi boards by part number: HL-2xx is Gaudi 2 (HL-205 the first Gaudi), HL-3xx Gaudi 3. */
const GAUDI_PART = /^HL-?(\d)(\d{2})[A-Z]*\b/i;
const GAUDI_NAME = /\bGaudi\s*(\d)?\b/i;
/** AMD Instinct accelerators: MI50, MI100, MI210, MI250(X), MI300A/X, MI325X, MI350X, MI355X. */
const INSTINCT = /\bMI(\d{2,3}[AX]?)\b/i;

/**
 * The canonical model name of an AMD Instinct or Intel Gaudi accelerator
 * ("AMD Instinct MI300X", "Intel Gaudi 2", "Intel Gaudi 3"); any other name
 * comes back trimmed and otherwise unchanged. null stays null.
 */
export function canonicalAcceleratorModel(raw: string | null): string | null {
  if (raw === null) return null;
  const name = raw.trim();
  if (name === "") return null;
  const part = GAUDI_PART.exec(name);
  if (part) return part[1] === "2" && part[2] === "05" ? "Intel Gaudi" : `Intel Gaudi ${part[1]}`;
  const gaudi = GAUDI_NAME.exec(name);
  if (gaudi) return gaudi[1] && gaudi[1] !== "1" ? `Intel Gaudi ${gaudi[1]}` : "Intel Gaudi";
  if (/\bAMD\b|\bInstinct\b|^MI\d/i.test(name)) {
    const instinct = INSTINCT.exec(name);
    if (instinct) return `AMD Instinct MI${instinct[1].toUpperCase()}`;
  }
  return name;
}
