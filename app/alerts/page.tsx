import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { AdminSignIn } from "../components/admin-sign-in";
import { getQueryClient, trpc } from "../trpc/server";
import { AlertEpisodes } from "./alert-episodes";

export const dynamic = "force-dynamic";

export default async function AlertsPage() {
  const queryClient = getQueryClient();
  await queryClient.prefetchQuery(trpc.alerts.listEpisodes.queryOptions({ pastLimit: 100 }));
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <main>
        <header className="page-header">
          <h1>Alerts</h1>
          <AdminSignIn placeholder="admin token (to acknowledge)" />
        </header>
        <AlertEpisodes />
      </main>
    </HydrationBoundary>
  );
}
