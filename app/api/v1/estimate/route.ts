import { dataScopeOf } from "@/server/auth/principal";
import { withPrincipal } from "@/server/api/rest/authorized-route";
import { handleEstimateRequest } from "@/server/api/rest/estimate-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// A read: a POST only because the request is a JSON body.
export const POST = timedRoute(
  "/api/v1/estimate",
  withPrincipal((request, principal) => handleEstimateRequest(request, { db: getServerDatabase().sql, nowMs: Date.now, scope: dataScopeOf(principal) })),
);
