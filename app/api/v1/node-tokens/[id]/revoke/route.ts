import { signedInPrincipal } from "@/server/api/rest/authorized-route";
import { adminTokenFrom } from "@/server/config/server-settings";
import { handleRevokeNodeToken } from "@/server/api/rest/node-tokens-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = timedRoute(
  "/api/v1/node-tokens/[id]/revoke",
  async (request: Request, { params }: { params: Promise<{ id: string }> }) =>
    handleRevokeNodeToken(request, (await params).id, { prisma: getServerDatabase().prisma, adminToken: adminTokenFrom(), nowMs: Date.now, signedIn: await signedInPrincipal(request) }),
);
