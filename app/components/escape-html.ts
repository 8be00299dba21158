/**
 * A data value as text inside the HTML that ECharts renders for tooltips: the
 * same escaping as the server's e-mailed reports (server/wire/html.ts).
 */
export { escapeHtml } from "@/server/wire/html";
