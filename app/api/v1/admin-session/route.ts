import { adminTokenFrom } from "@/server/config/server-settings";
import { handleCreateAdminSession, handleDeleteAdminSession, handleGetAdminSession } from "@/server/api/rest/admin-session-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";
import { canAdminister } from "@/server/auth/principal";
import { requestPrincipal } from "@/server/auth/server-principal";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = () => ({ adminToken: adminTokenFrom(), nowMs: Date.now, prisma: getServerDatabase().prisma });

export const GET = timedRoute("/api/v1/admin-session", async (request) => {
  const { principal } = await requestPrincipal(request);
  const signedInAdmin = principal !== null && principal.kind === "session" && canAdminister(principal);
  return handleGetAdminSession(request, context(), signedInAdmin);
});
export const POST = timedRoute("/api/v1/admin-session", (request) => handleCreateAdminSession(request, context()));
export const DELETE = timedRoute("/api/v1/admin-session", async (request) => handleDeleteAdminSession(request, context()));
