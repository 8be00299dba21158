import { dataScopeOf } from "@/server/auth/principal";
import { handleAllocationRequest } from "@/server/api/rest/allocation-handler";
import { withPrincipal } from "@/server/api/rest/authorized-route";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = timedRoute(
  "/api/v1/allocation",
  withPrincipal((request, principal) => handleAllocationRequest(request, { db: getServerDatabase().sql, nowMs: Date.now, scope: dataScopeOf(principal) })),
);
