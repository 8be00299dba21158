import type { DataScope } from "../../auth/principal";
import { adminTokenFrom } from "../../config/server-settings";
import { getServerDatabase } from "../../db/server-database";
import { serverRecommendationRunner } from "../../services/recommendation-runner";
import type { RecommendationsContext } from "./recommendations-handler";

/** The recommendations endpoints' context in the server process, for a caller reading within `scope`. */
export function serverRecommendationsContext(scope: DataScope): RecommendationsContext {
  const { sql, prisma, target } = getServerDatabase();
  return {
    db: sql,
    prisma,
    adminToken: adminTokenFrom(),
    nowMs: Date.now,
    runRecommendations: serverRecommendationRunner(target.url),
    scope,
  };
}
