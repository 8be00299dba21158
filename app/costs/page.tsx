import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { recentMonths } from "@/server/domain/budget-periods";
import { getQueryClient, trpc } from "../trpc/server";
import { CostExplorer } from "./cost-explorer";
import { allocationInput, allocationSeriesInput, costQueryFrom } from "./cost-query";

export const dynamic = "force-dynamic";

export default async function CostsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const query = costQueryFrom(await searchParams);
  const queryClient = getQueryClient();
  // Both queries the page shows, prefetched together so the first paint has the table and the chart.
  await Promise.all([
    queryClient.prefetchQuery(trpc.allocation.get.queryOptions(allocationInput(query))),
    queryClient.prefetchQuery(trpc.allocation.get.queryOptions(allocationSeriesInput(query))),
  ]);
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <CostExplorer chargebackMonths={recentMonths(Date.now(), 12)} />
    </HydrationBoundary>
  );
}
