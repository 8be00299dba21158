/** CSV built in the browser, so an export is exactly what the page shows; the same writer as the REST API's. */
export { csvDocument, type CsvValue } from "@/server/wire/csv";

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
