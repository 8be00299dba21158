/**
 * Text as HTML: names come from nodes and workloads (GPU model, hostname, job,
 * team, experiment and label values), so every one of them goes through here
 * before it meets markup, in the pages' chart tooltips and in e-mailed reports.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => `&#${char.charCodeAt(0)};`);
}
