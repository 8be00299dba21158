/**
 * A data value as text inside the HTML that ECharts renders for tooltips:
 * names come from nodes and workloads (GPU model, hostname, job and label
 * values), so every one of them goes through here before it meets markup.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => `&#${char.charCodeAt(0)};`);
}
