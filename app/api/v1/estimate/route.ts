import { handleEstimateRequest } from "@/server/api/rest/estimate-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = timedRoute("/api/v1/estimate", (request) => handleEstimateRequest(request, { db: getServerDatabase().sql, nowMs: Date.now }));
