import { adminTokenFrom } from "@/server/config/server-settings";
import { handleCreateAdminSession, handleDeleteAdminSession, handleGetAdminSession } from "@/server/api/rest/admin-session-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = () => ({ adminToken: adminTokenFrom(), nowMs: Date.now, prisma: getServerDatabase().prisma });

export const GET = timedRoute("/api/v1/admin-session", async (request) => handleGetAdminSession(request, context()));
export const POST = timedRoute("/api/v1/admin-session", (request) => handleCreateAdminSession(request, context()));
export const DELETE = timedRoute("/api/v1/admin-session", async (request) => handleDeleteAdminSession(request, context()));
