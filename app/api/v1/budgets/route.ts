import { dataScopeOf } from "@/server/auth/principal";
import { signedInPrincipal, withPrincipal } from "@/server/api/rest/authorized-route";
import { adminTokenFrom } from "@/server/config/server-settings";
import { handleChangeBudget, handleListBudgets } from "@/server/api/rest/budgets-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = () => {
  const { sql, prisma } = getServerDatabase();
  return { db: sql, prisma, adminToken: adminTokenFrom(), nowMs: Date.now };
};

export const GET = timedRoute(
  "/api/v1/budgets",
  withPrincipal((_request, principal) => handleListBudgets(context(), dataScopeOf(principal))),
);
export const POST = timedRoute("/api/v1/budgets", async (request) => handleChangeBudget(request, { ...context(), signedIn: await signedInPrincipal(request) }));
