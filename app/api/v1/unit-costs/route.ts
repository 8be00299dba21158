import { dataScopeOf } from "@/server/auth/principal";
import { withPrincipal } from "@/server/api/rest/authorized-route";
import { timedRoute } from "@/server/api/rest/timed-route";
import { handleUnitCostsRequest } from "@/server/api/rest/unit-costs-handler";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = timedRoute(
  "/api/v1/unit-costs",
  withPrincipal((request, principal) => handleUnitCostsRequest(request, { db: getServerDatabase().sql, nowMs: Date.now, scope: dataScopeOf(principal) })),
);
