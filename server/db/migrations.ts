import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { parseDatabaseUrl, type DatabaseTarget } from "./database-url";
import { PostgresDatabase } from "./postgres-database";
import type { SqlExecutor } from "./sql-database";

/** The migration folders shipped for a dialect, oldest first. */
export function listMigrationNames(projectRoot: string, target: DatabaseTarget): string[] {
  const folder = path.join(projectRoot, "prisma", target.dialect, "migrations");
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export interface MigrationStatus {
  current: boolean;
  pending: string[];
  failed: string[];
}

/** Compares the shipped migrations with those Prisma recorded as applied. */
export async function readMigrationStatus(
  db: Pick<SqlExecutor, "query">,
  projectRoot: string,
  target: DatabaseTarget,
): Promise<MigrationStatus> {
  const expected = listMigrationNames(projectRoot, target);
  let rows: { migration_name: string; finished_at: unknown; rolled_back_at: unknown }[] = [];
  try {
    rows = await db.query(`SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations`);
  } catch {
    return { current: false, pending: expected, failed: [] }; // no migrations table yet
  }
  const applied = new Set(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => r.migration_name));
  const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null).map((r) => r.migration_name);
  const pending = expected.filter((name) => !applied.has(name));
  return { current: pending.length === 0 && failed.length === 0, pending, failed };
}

/** How often a migration that found Prisma's migration lock taken is tried again. */
const MIGRATION_LOCK_ATTEMPTS = 6;

/** Prisma's own message when another `migrate deploy` held its lock for its 10 s timeout. */
export function isMigrationLockTimeout(message: string): boolean {
  return /Timed out trying to acquire a postgres advisory lock/i.test(message);
}

/**
 * Prisma's failure when another connection kept a SQLite file busy past its 5 s
 * busy timeout. Its wasm schema engine cannot name SQLITE_BUSY and reports
 * "unknown variant `SocketTimeout`" instead.
 */
export function isSqliteBusyFailure(message: string): boolean {
  return /unknown variant `SocketTimeout`|SQLITE_BUSY|database is locked/i.test(message);
}

/** How long a migration waits for other processes to let go of a SQLite file. */
export const DEFAULT_SQLITE_BUSY_WAIT_MS = 120_000;

export interface ApplyMigrationsOptions {
  /** How long to wait for other connections to a SQLite file to close, ms (default 2 minutes). */
  sqliteBusyWaitMs?: number;
  /** Progress lines (a wait for a busy file). */
  log?: (line: string) => void;
}

/**
 * Applies pending migrations with `prisma migrate deploy` (the JavaScript schema
 * engine configured in prisma.config.ts), for the database DATABASE_URL names.
 *  1. Read `_prisma_migrations` directly: when nothing is pending Prisma is not
 *     run at all. Its SQLite engine takes the file in exclusive locking mode,
 *     which fails while any other process has it open (a `sqlite3` shell or
 *     `.backup`, another gpu-roi server): a start with nothing to migrate must
 *     not depend on that.
 *  2. SQLite: wait until no other process holds the file, then migrate.
 *  3. PostgreSQL: Prisma takes one advisory lock per database (whatever the
 *     schema) and gives up after 10 s; replicas starting together, or several
 *     schemas of one database migrating at once, wait their turn: a lock timeout
 *     is tried again.
 */
export async function applyMigrations(projectRoot: string, databaseUrl: string, options: ApplyMigrationsOptions = {}): Promise<void> {
  const target = parseDatabaseUrl(databaseUrl, projectRoot);
  // 1. Nothing to do.
  const status = await readMigrationStatusOf(projectRoot, target);
  if (status.current) return;
  // 2. SQLite.
  if (target.dialect === "sqlite") {
    return migrateSqliteWhenAlone(projectRoot, databaseUrl, target.sqliteFilePath!, status, options);
  }
  // 3. PostgreSQL.
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateDeployOnce(projectRoot, databaseUrl);
    } catch (error) {
      if (attempt >= MIGRATION_LOCK_ATTEMPTS || !isMigrationLockTimeout((error as Error).message)) throw error;
    }
  }
}

/** readMigrationStatus on a connection of its own, closed afterwards; a SQLite file is opened read-only. */
async function readMigrationStatusOf(projectRoot: string, target: DatabaseTarget): Promise<MigrationStatus> {
  if (target.dialect === "postgresql") {
    const db = new PostgresDatabase(target.url);
    try {
      return await readMigrationStatus(db, projectRoot, target);
    } finally {
      await db.close();
    }
  }
  if (!fs.existsSync(target.sqliteFilePath!)) return { current: false, pending: listMigrationNames(projectRoot, target), failed: [] };
  const db = new Database(target.sqliteFilePath!, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    return await readMigrationStatus({ query: async (sql, params = []) => db.prepare(sql).all(...params) as never }, projectRoot, target);
  } finally {
    db.close();
  }
}

/**
 * Whether another connection has the SQLite file open in a way that stops a
 * migration: a transaction that cannot start at once in exclusive locking mode
 * (what Prisma's engine uses) means someone else holds the file.
 */
export function sqliteFileIsBusy(filePath: string): boolean {
  if (!fs.existsSync(filePath)) return false;
  const db = new Database(filePath, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("ROLLBACK");
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === "SQLITE_BUSY") return true;
    throw error;
  } finally {
    db.close();
  }
}

const BUSY_POLL_MS = 250;

async function migrateSqliteWhenAlone(
  projectRoot: string,
  databaseUrl: string,
  filePath: string,
  status: MigrationStatus,
  options: ApplyMigrationsOptions,
): Promise<void> {
  const waitMs = options.sqliteBusyWaitMs ?? DEFAULT_SQLITE_BUSY_WAIT_MS;
  const deadline = Date.now() + waitMs;
  const migrations = [...status.failed, ...status.pending];
  const why =
    `the SQLite file ${filePath} is open in another process (a sqlite3 shell or ".backup", another gpu-roi server or npm start): ` +
    `applying migration${migrations.length === 1 ? "" : "s"} ${migrations.join(", ")} needs the file to itself`;
  const gaveUp = `${why}; waited ${Math.round(waitMs / 1000)} s. Stop that process and try again.`;
  let announced = false;
  for (;;) {
    while (sqliteFileIsBusy(filePath)) {
      if (Date.now() >= deadline) throw new Error(gaveUp);
      if (!announced) options.log?.(`${why}; waiting up to ${Math.round(waitMs / 1000)} s ...`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, BUSY_POLL_MS));
    }
    try {
      return await migrateDeployOnce(projectRoot, databaseUrl);
    } catch (error) {
      // Someone opened the file between the check and Prisma's start: wait again.
      if (!isSqliteBusyFailure((error as Error).message)) throw error;
      if (Date.now() >= deadline) throw new Error(gaveUp);
    }
  }
}

function migrateDeployOnce(projectRoot: string, databaseUrl: string): Promise<void> {
  const prismaBin = path.join(projectRoot, "node_modules", ".bin", "prisma");
  return new Promise((resolve, reject) => {
    const child = spawn(prismaBin, ["migrate", "deploy"], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`prisma migrate deploy failed (exit ${code}):\n${output.trim()}`));
    });
  });
}
