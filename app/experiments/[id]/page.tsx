import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { decodeSegment, pageWindowFrom } from "../../components/window-links";
import { getQueryClient, trpc } from "../../trpc/server";
import { ExperimentDetail } from "./experiment-detail";

export const dynamic = "force-dynamic";

export default async function ExperimentPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ window?: string }>;
}) {
  const experiment = decodeSegment((await params).id);
  const window = pageWindowFrom((await searchParams).window);
  const queryClient = getQueryClient();
  await queryClient.prefetchQuery(trpc.experiments.get.queryOptions({ experiment, window }));
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <ExperimentDetail experiment={experiment} window={window} />
    </HydrationBoundary>
  );
}
