import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { AdminSignIn } from "../components/admin-sign-in";
import { AlertRules } from "./alert-rules";
import { getQueryClient, trpc } from "../trpc/server";
import { ApiTokens } from "./api-tokens";
import { AuditLog } from "./audit-log";
import { NodeTokens } from "./node-tokens";
import { PriceBook } from "./price-book";
import { RetentionInfo } from "./retention-info";
import { TcoCalculator } from "./tco-calculator";

export const dynamic = "force-dynamic";

export default async function SettingsPage() {
  const queryClient = getQueryClient();
  await Promise.all([queryClient.prefetchQuery(trpc.prices.list.queryOptions()), queryClient.prefetchQuery(trpc.retention.get.queryOptions())]);
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <main>
        <header className="page-header">
          <h1>Settings</h1>
          <AdminSignIn placeholder="admin token (to change settings)" />
        </header>
        <section className="panel" aria-label="Price book">
          <PriceBook />
          <p className="hint">
            An hour is priced by the entry in force at its start; a node-label entry beats the model&apos;s general price on those nodes.
            Changing a price changes every cost that covers its hours. Admins add prices with the calculator below,{" "}
            <code>POST /api/v1/prices</code> (bearer <code>GPU_ROI_ADMIN_TOKEN</code>) or <code>npm run admin -- set-price</code>.
          </p>
        </section>
        <TcoCalculator />
        <NodeTokens />
        <ApiTokens />
        <AlertRules />
        <RetentionInfo />
        <AuditLog />
      </main>
    </HydrationBoundary>
  );
}
