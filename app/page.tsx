import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { OverviewDashboard } from "./overview-dashboard";
import { overviewWindowFrom } from "./overview-windows";
import { getQueryClient, trpc } from "./trpc/server";

export const dynamic = "force-dynamic";

export default async function OverviewPage({ searchParams }: { searchParams: Promise<{ window?: string }> }) {
  const window = overviewWindowFrom((await searchParams).window);
  const queryClient = getQueryClient();
  // Prefetched on the server so the first paint already has the figures.
  await queryClient.prefetchQuery(trpc.overview.get.queryOptions({ window }));
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <OverviewDashboard window={window} />
    </HydrationBoundary>
  );
}
