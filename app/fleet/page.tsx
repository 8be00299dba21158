import { FLEET_HEATMAP_WINDOWS } from "@/server/api/trpc/procedures/fleet/get-utilization-heatmap";
import { createCaller } from "@/server/api/trpc/root";
import { pageTrpcContext } from "../auth/page-request";
import { pageWindowFrom } from "../components/window-links";
import { FleetView } from "./fleet-view";
import { HEATMAP_PAGE_ROWS } from "./heatmap-pages";

export const dynamic = "force-dynamic";

// The page calls the procedure on the server (validation and error mapping included)
// and hands the result down: window and heatmap page changes are link navigations,
// so the browser needs no client query for this page.
export default async function FleetPage({ searchParams }: { searchParams: Promise<{ window?: string; from?: string }> }) {
  const params = await searchParams;
  const window = pageWindowFrom(params.window, "24h", FLEET_HEATMAP_WINDOWS) as (typeof FLEET_HEATMAP_WINDOWS)[number];
  // The heatmap shows HEATMAP_PAGE_ROWS GPUs at a time, from GPU row `from` (a bad value shows the first page).
  const from = Number(params.from ?? 0);
  const firstRow = Number.isSafeInteger(from) && from >= 0 ? from - (from % HEATMAP_PAGE_ROWS) : 0;
  const heatmap = await createCaller(await pageTrpcContext()).fleet.getUtilizationHeatmap({ window, firstRow, rowCount: HEATMAP_PAGE_ROWS });
  return <FleetView heatmap={heatmap} window={window} windows={FLEET_HEATMAP_WINDOWS} />;
}
