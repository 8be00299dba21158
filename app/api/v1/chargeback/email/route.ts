import { signedInPrincipal } from "@/server/api/rest/authorized-route";
import { adminTokenFrom } from "@/server/config/server-settings";
import { handleChargebackEmail } from "@/server/api/rest/chargeback-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";
import { serverSendEmail } from "@/server/services/channels/server-send-email";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// The e-mail channel is the server's SMTP server (GPU_ROI_SMTP_*); without one the endpoint answers 503.
export const POST = timedRoute("/api/v1/chargeback/email", async (request) => {
  const { sql, prisma } = getServerDatabase();
  return handleChargebackEmail(request, { db: sql, prisma, adminToken: adminTokenFrom(), nowMs: Date.now, sendEmail: serverSendEmail(), signedIn: await signedInPrincipal(request) });
});
