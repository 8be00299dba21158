/** CSV built in the browser, so an export is exactly what the page shows. */
export type CsvValue = string | number | null;

function csvField(value: CsvValue): string {
  if (value === null || (typeof value === "number" && !Number.isFinite(value))) return "";
  const text = String(value);
  // Quote what would break a line or a field, and defuse spreadsheet formulas.
  const safe = /^[=+\-@]/.test(text) && typeof value === "string" ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvDocument(header: string[], lines: CsvValue[][]): string {
  return [header, ...lines].map((line) => line.map(csvField).join(",")).join("\n") + "\n";
}

export function downloadCsv(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
