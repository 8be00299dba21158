/**
 * CSV as gpu-roi writes it, for the REST `format=csv` and the pages' exports
 * alike: RFC 4180 quoting, and text cells that a spreadsheet would read as a
 * formula (OWASP "CSV injection": a leading = + - @ TAB or CR) defused with a
 * leading single quote. Names come from nodes and workloads, so any of them
 * may be hostile. Numbers stay numbers: a negative figure is not a formula.
 */
export type CsvValue = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (value === null || (typeof value === "number" && !Number.isFinite(value))) return "";
  if (typeof value === "number") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The header line, then one line per entry of `lines`; every line ends with \n. */
export function csvDocument(header: readonly string[], lines: readonly (readonly CsvValue[])[]): string {
  return [header, ...lines].map((line) => line.map(csvField).join(",")).join("\n") + "\n";
}
