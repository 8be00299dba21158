import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { getQueryClient, trpc } from "../trpc/server";
import { RecommendationList } from "./recommendation-list";

export const dynamic = "force-dynamic";

export default async function RecommendationsPage() {
  const queryClient = getQueryClient();
  await queryClient.prefetchQuery(trpc.recommendations.list.queryOptions({ limit: 500 }));
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <RecommendationList />
    </HydrationBoundary>
  );
}
