import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { getQueryClient, trpc } from "../trpc/server";
import { FleetPlanPanel } from "./fleet-plan-panel";
import { RecommendationList } from "./recommendation-list";

export const dynamic = "force-dynamic";

export default async function RecommendationsPage() {
  const queryClient = getQueryClient();
  await Promise.all([queryClient.prefetchQuery(trpc.recommendations.list.queryOptions({ limit: 500 })), queryClient.prefetchQuery(trpc.recommendations.fleetPlan.queryOptions())]);
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <RecommendationList plan={<FleetPlanPanel />} />
    </HydrationBoundary>
  );
}
