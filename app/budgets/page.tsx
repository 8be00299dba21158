import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { AdminSignIn } from "../components/admin-sign-in";
import { getQueryClient, trpc } from "../trpc/server";
import { BudgetList } from "./budget-list";

export const dynamic = "force-dynamic";

export default async function BudgetsPage() {
  const queryClient = getQueryClient();
  await queryClient.prefetchQuery(trpc.budgets.list.queryOptions());
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <main>
        <header className="page-header">
          <h1>Budgets</h1>
          <AdminSignIn placeholder="admin token (to change budgets)" />
        </header>
        <BudgetList />
      </main>
    </HydrationBoundary>
  );
}
