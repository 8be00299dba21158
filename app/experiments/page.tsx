import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { pageWindowFrom } from "../components/window-links";
import { getQueryClient, trpc } from "../trpc/server";
import { ExperimentList } from "./experiment-list";

export const dynamic = "force-dynamic";

export default async function ExperimentsPage({ searchParams }: { searchParams: Promise<{ window?: string }> }) {
  const window = pageWindowFrom((await searchParams).window);
  const queryClient = getQueryClient();
  await queryClient.prefetchQuery(trpc.experiments.list.queryOptions({ window }));
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <ExperimentList window={window} />
    </HydrationBoundary>
  );
}
