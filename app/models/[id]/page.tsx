import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { decodeSegment, pageWindowFrom } from "../../components/window-links";
import { getQueryClient, trpc } from "../../trpc/server";
import { ModelDetail } from "./model-detail";
import { modelTrendInput } from "./model-trend";
import { modelUnitCostQueries } from "./model-unit-cost-queries";

export const dynamic = "force-dynamic";

export default async function ModelPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ window?: string }> }) {
  const model = decodeSegment((await params).id);
  const window = pageWindowFrom((await searchParams).window);
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.experiments.list.queryOptions({ window, model })),
    queryClient.prefetchQuery(trpc.allocation.get.queryOptions(modelTrendInput(model, window))),
    queryClient.prefetchQuery(trpc.unitCosts.get.queryOptions(modelUnitCostQueries(window).byGpuModel)),
    queryClient.prefetchQuery(trpc.unitCosts.get.queryOptions(modelUnitCostQueries(window).trainingToDate)),
  ]);
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <ModelDetail model={model} window={window} />
    </HydrationBoundary>
  );
}
