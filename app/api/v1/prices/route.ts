import { adminTokenFrom } from "@/server/config/server-settings";
import { handleAddPrice, handleListPrices } from "@/server/api/rest/prices-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = () => ({ prisma: getServerDatabase().prisma, adminToken: adminTokenFrom(), nowMs: Date.now });

export const GET = timedRoute("/api/v1/prices", () => handleListPrices(context()));
export const POST = timedRoute("/api/v1/prices", (request) => handleAddPrice(request, context()));
