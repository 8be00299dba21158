import { createHash } from "node:crypto";
import type { DatabaseDialect } from "./database-url";

/** A value bound to a `?` placeholder. Times are epoch milliseconds (numbers). */
export type SqlValue = string | number | boolean | null;

export type SqlRow = Record<string, unknown>;

/** Column types used to cast bulk-insert arrays on PostgreSQL. */
export type BulkColumnType = "bigint" | "integer" | "double precision" | "text";

export interface BulkInsert {
  table: string;
  columns: readonly { name: string; type: BulkColumnType }[];
  rows: readonly (readonly SqlValue[])[];
  /**
   * Columns of the primary key (the first columns of `columns`, in order): rows
   * that collide with stored ones are skipped by insertMany and added to by addMany.
   */
  conflictColumns: readonly string[];
}

/** Operations available inside and outside a transaction. */
export interface SqlExecutor {
  /** Runs one statement written with `?` placeholders and returns its rows. */
  query<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Like query, with each row as an array of column values: faster for large reads. */
  queryArrays(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]>;
  /**
   * Inserts many rows in as few round trips as the driver allows, skipping rows
   * whose key is already stored; returns the indexes (into insert.rows) of the rows
   * inserted.
   */
  insertMany(insert: BulkInsert): Promise<number[]>;
  /**
   * Inserts rows, or adds their non-key columns to the stored row with the same
   * key (counters and sums). Keys must be unique within one call.
   */
  addMany(insert: BulkInsert): Promise<void>;
  /**
   * insertMany of several tables, in one round trip where the driver allows it
   * (PostgreSQL: one statement of data-modifying CTEs); the inserted indexes of
   * each, in order.
   */
  insertManyTogether(inserts: readonly BulkInsert[]): Promise<number[][]>;
  /** addMany of several tables, in one round trip where the driver allows it. */
  addManyTogether(inserts: readonly BulkInsert[]): Promise<void>;
}

/**
 * The thin SQL layer for the hot paths (ingest, aggregations). Both drivers are
 * reached through it so services write one SQL text for SQLite and PostgreSQL.
 */
export interface SqlDatabase extends SqlExecutor {
  readonly dialect: DatabaseDialect;
  /** Runs `work` in one transaction: all of it is committed, or none of it. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `work` unless another process sharing the database is running work of
   * the same name (PostgreSQL: a session advisory lock, released when the work
   * ends or its connection drops). Periodic jobs that every replica schedules
   * (retention, the optimizer) thus run once at a time. SQLite is one process's
   * embedded database: the work always runs.
   */
  runExclusive<T>(name: string, work: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }>;
  close(): Promise<void>;
}

/** A stable signed 64-bit key for an advisory lock name (as a decimal string for pg). */
export function advisoryLockKey(name: string): string {
  return createHash("sha256").update(`gpu-roi:${name}`).digest().readBigInt64BE(0).toString();
}

/** SQL spelling that differs between the dialects. */
export function sqlGreatest(dialect: DatabaseDialect, a: string, b: string): string {
  return dialect === "sqlite" ? `MAX(${a}, ${b})` : `GREATEST(${a}, ${b})`;
}

export function sqlLeast(dialect: DatabaseDialect, a: string, b: string): string {
  return dialect === "sqlite" ? `MIN(${a}, ${b})` : `LEAST(${a}, ${b})`;
}

/**
 * Whether a transaction failed only because a concurrent one won a race it may
 * win next time: PostgreSQL's deadlock_detected (40P01) or serialization_failure
 * (40001). (SQLite has one writer at a time: its transactions do not conflict
 * this way; a lock held past busy_timeout is answered 503 instead.)
 */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "40P01" || code === "40001";
}

/**
 * Runs `attempt` (a whole transaction) again when it fails with a transient
 * conflict, at most `maxAttempts` times in all, after a short random pause
 * (ms) so the competing transactions do not collide again.
 */
export async function retryTransientConflicts<T>(attempt: () => Promise<T>, maxAttempts = 3, random: () => number = Math.random): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (error) {
      if (attemptNumber >= maxAttempts || !isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.round(10 + random() * 40 * attemptNumber)));
    }
  }
}
