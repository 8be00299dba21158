import { signedInPrincipal } from "@/server/api/rest/authorized-route";
import { adminTokenFrom } from "@/server/config/server-settings";
import { handleIssueNodeToken, handleListNodeTokens } from "@/server/api/rest/node-tokens-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = () => ({ prisma: getServerDatabase().prisma, adminToken: adminTokenFrom(), nowMs: Date.now });

export const GET = timedRoute("/api/v1/node-tokens", async (request) => handleListNodeTokens(request, { ...context(), signedIn: await signedInPrincipal(request) }));
export const POST = timedRoute("/api/v1/node-tokens", async (request) => handleIssueNodeToken(request, { ...context(), signedIn: await signedInPrincipal(request) }));
