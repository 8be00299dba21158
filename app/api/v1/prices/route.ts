import { adminTokenFrom } from "@/server/config/server-settings";
import { handleAddPrice, handleListPrices } from "@/server/api/rest/prices-handler";
import { signedInPrincipal, withPrincipal } from "@/server/api/rest/authorized-route";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = () => ({ prisma: getServerDatabase().prisma, adminToken: adminTokenFrom(), nowMs: Date.now });

// The price book is no team's data: any principal reads it (the estimator needs it).
export const GET = timedRoute("/api/v1/prices", withPrincipal(async () => handleListPrices(context())));
export const POST = timedRoute("/api/v1/prices", async (request) => handleAddPrice(request, { ...context(), signedIn: await signedInPrincipal(request) }));
