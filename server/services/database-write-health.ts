import type { SqlDatabase } from "../db/sql-database";

/**
 * Whether the database takes writes, as the last write told it. A database can
 * answer reads and refuse every write (a read-only file or mount, an I/O error,
 * a full disk, a PostgreSQL standby or read-only transaction): then ingest
 * answers 503 and /api/health must say the server is unavailable too.
 *
 * Why the last write's outcome and not a probe on every health check: a probe
 * that writes takes SQLite's one write lock (and a PostgreSQL row lock) every few
 * seconds per load balancer, against the ingest it is meant to protect. So the
 * healthy path costs nothing, and only while writes fail does /api/health probe
 * with one real write (see probeDatabaseWrite), so the server reports healthy
 * again as soon as writes succeed, even when no node is sending (a load balancer
 * that took the server out sends no ingest that could clear the failure).
 */
export class DatabaseWriteHealth {
  private failure: { message: string } | null = null;

  recordFailure(error: unknown): void {
    this.failure = { message: error instanceof Error ? error.message : String(error) };
  }

  recordSuccess(): void {
    this.failure = null;
  }

  /** The last write's failure, or null when the last write succeeded (or none failed yet). */
  get lastFailure(): { message: string } | null {
    return this.failure;
  }
}

/**
 * One real write that changes nothing: the first node's last_seen_ms set to
 * itself, committed. A read-only database, a read-only transaction and a full
 * disk all refuse it (an UPDATE writes a new row version even when the values are
 * the same); a database without nodes has had no ingest to fail.
 */
export async function probeDatabaseWrite(db: SqlDatabase): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`UPDATE node SET last_seen_ms = last_seen_ms WHERE id = (SELECT MIN(id) FROM node)`);
  });
}

/** SQLite result codes (and their extended codes) of a database that cannot be written. */
const SQLITE_WRITE_FAILURES = /^SQLITE_(READONLY|IOERR|FULL)(_|$)/;

/** PostgreSQL SQLSTATEs of a database that cannot be written right now. */
const POSTGRES_WRITE_FAILURES = new Set([
  "25006", // read_only_sql_transaction (a standby, default_transaction_read_only)
  "53000", // insufficient_resources
  "53100", // disk_full
  "53200", // out_of_memory
  "58030", // io_error
]);

/** Whether an error means the database cannot take writes now (answer 503, retry later). */
export function isDatabaseWriteFailure(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && (SQLITE_WRITE_FAILURES.test(code) || POSTGRES_WRITE_FAILURES.has(code));
}

const holder = globalThis as typeof globalThis & { gpuRoiDatabaseWriteHealth?: DatabaseWriteHealth };

/** The server process's write health, shared by ingest and /api/health. */
export function getDatabaseWriteHealth(): DatabaseWriteHealth {
  holder.gpuRoiDatabaseWriteHealth ??= new DatabaseWriteHealth();
  return holder.gpuRoiDatabaseWriteHealth;
}
