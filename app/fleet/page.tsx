import { FLEET_HEATMAP_WINDOWS } from "@/server/api/trpc/procedures/fleet/get-utilization-heatmap";
import { createCaller } from "@/server/api/trpc/root";
import { createTrpcContext } from "@/server/api/trpc/init";
import { pageWindowFrom } from "../components/window-links";
import { FleetView } from "./fleet-view";

export const dynamic = "force-dynamic";

// The page calls the procedure on the server (validation and error mapping included)
// and hands the result down: window changes are link navigations, so the browser
// needs no client query for this page.
export default async function FleetPage({ searchParams }: { searchParams: Promise<{ window?: string }> }) {
  const window = pageWindowFrom((await searchParams).window, "24h", FLEET_HEATMAP_WINDOWS) as (typeof FLEET_HEATMAP_WINDOWS)[number];
  const heatmap = await createCaller(createTrpcContext()).fleet.getUtilizationHeatmap({ window });
  return <FleetView heatmap={heatmap} window={window} windows={FLEET_HEATMAP_WINDOWS} />;
}
