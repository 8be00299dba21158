import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { getQueryClient, trpc } from "../trpc/server";
import { EstimateForm } from "./estimate-form";

export const dynamic = "force-dynamic";

export default async function EstimatePage() {
  const queryClient = getQueryClient();
  await Promise.all([queryClient.prefetchQuery(trpc.prices.list.queryOptions()), queryClient.prefetchQuery(trpc.experiments.list.queryOptions({ window: "30d" }))]);
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <EstimateForm />
    </HydrationBoundary>
  );
}
