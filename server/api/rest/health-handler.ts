import type { DatabaseTarget } from "../../db/database-url";
import { readMigrationStatus } from "../../db/migrations";
import type { SqlDatabase } from "../../db/sql-database";
import { probeDatabaseWrite, type DatabaseWriteHealth } from "../../services/database-write-health";
import type { ServerMetrics } from "../../services/metrics";
import { jsonResponse } from "./http-responses";

export interface HealthContext {
  db: SqlDatabase;
  target: DatabaseTarget;
  projectRoot: string;
  /** Counts the answers given because the database could not be reached. */
  metrics?: ServerMetrics;
  /** Whether ingest's last write failed; then a write probe decides. */
  writeHealth?: DatabaseWriteHealth;
}

/**
 * GET /api/health: 200 when the database answers, takes writes (after a failed
 * write, a write probe must succeed) and every shipped migration is applied; 503
 * with the reason otherwise (for load balancers and orchestrators).
 */
export async function handleHealthRequest(context: HealthContext): Promise<Response> {
  const database = context.target.dialect;
  try {
    await context.db.query("SELECT 1 AS ok");
  } catch (error) {
    context.metrics?.databaseUnavailable.inc({ route: "/api/health" });
    return jsonResponse({ status: "unavailable", database, reason: `database unreachable: ${(error as Error).message}` }, 503);
  }
  if (context.writeHealth?.lastFailure) {
    try {
      await probeDatabaseWrite(context.db);
      context.writeHealth.recordSuccess();
    } catch (error) {
      context.metrics?.databaseUnavailable.inc({ route: "/api/health" });
      return jsonResponse({ status: "unavailable", database, reason: `database not writable: ${(error as Error).message}` }, 503);
    }
  }
  const migrations = await readMigrationStatus(context.db, context.projectRoot, context.target);
  if (!migrations.current) {
    const reason =
      migrations.failed.length > 0
        ? `migrations failed: ${migrations.failed.join(", ")}`
        : `migrations pending: ${migrations.pending.join(", ")} (run npm run db:migrate)`;
    return jsonResponse({ status: "unavailable", database, reason }, 503);
  }
  return jsonResponse({ status: "ok", database, migrations: "current" });
}
