import { handleListExperiments } from "@/server/api/rest/experiments-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = timedRoute("/api/v1/experiments", (request) => handleListExperiments(request, { db: getServerDatabase().sql, nowMs: Date.now }));
