import { adminTokenFrom } from "@/server/config/server-settings";
import { handleChargebackEmail } from "@/server/api/rest/chargeback-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// The e-mail channel (SMTP, server/services/channels) is handed in here as `sendEmail`
// where the server has one; without it the endpoint answers 503.
export const POST = timedRoute("/api/v1/chargeback/email", (request) => {
  const { sql, prisma } = getServerDatabase();
  return handleChargebackEmail(request, { db: sql, prisma, adminToken: adminTokenFrom(), nowMs: Date.now });
});
