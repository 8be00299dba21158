import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { OverviewDashboard } from "./overview-dashboard";
import { overviewWindowFrom, spendQueries, unitCostQueries } from "./overview-windows";
import { getQueryClient, trpc } from "./trpc/server";

export const dynamic = "force-dynamic";

export default async function OverviewPage({ searchParams }: { searchParams: Promise<{ window?: string }> }) {
  const window = overviewWindowFrom((await searchParams).window);
  const queryClient = getQueryClient();
  // Prefetched on the server so the first paint already has the figures.
  const spend = spendQueries(window);
  await Promise.all([
    queryClient.prefetchQuery(trpc.overview.get.queryOptions({ window })),
    queryClient.prefetchQuery(trpc.allocation.get.queryOptions(spend.byModel)),
    queryClient.prefetchQuery(trpc.allocation.get.queryOptions(spend.byTeamOverTime)),
    queryClient.prefetchQuery(trpc.recommendations.summary.queryOptions({ state: "open" })),
    queryClient.prefetchQuery(trpc.recommendations.fleetPlan.queryOptions()),
    queryClient.prefetchQuery(trpc.unitCosts.get.queryOptions(unitCostQueries(window).byModelOverTime)),
    queryClient.prefetchQuery(trpc.budgets.list.queryOptions()),
  ]);
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <OverviewDashboard window={window} />
    </HydrationBoundary>
  );
}
