import { dataScopeOf } from "@/server/auth/principal";
import { withPrincipal } from "@/server/api/rest/authorized-route";
import { errorResponse } from "@/server/api/rest/http-responses";
import { adminTokenFrom } from "@/server/config/server-settings";
import { handleChargebackRequest } from "@/server/api/rest/chargeback-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Every team's figures side by side: for admins and analysts; a team member is refused (403).
export const GET = timedRoute(
  "/api/v1/chargeback",
  withPrincipal((request, principal) => {
    if (dataScopeOf(principal).kind !== "all") return Promise.resolve(errorResponse(403, "authorization: the chargeback report lists every team; a team member reads their team's costs on /costs", "authorization"));
    const { sql, prisma } = getServerDatabase();
    return handleChargebackRequest(request, { db: sql, prisma, adminToken: adminTokenFrom(), nowMs: Date.now });
  }),
);
