import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { DatabaseTarget } from "./database-url";
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
  db: SqlExecutor,
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
 * Applies pending migrations with `prisma migrate deploy` (the JavaScript schema
 * engine configured in prisma.config.ts), for the database DATABASE_URL names.
 * Prisma takes one advisory lock per PostgreSQL database (whatever the schema)
 * and gives up after 10 s; replicas starting together, or several schemas of one
 * database migrating at once, wait their turn: a lock timeout is tried again.
 */
export async function applyMigrations(projectRoot: string, databaseUrl: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateDeployOnce(projectRoot, databaseUrl);
    } catch (error) {
      if (attempt >= MIGRATION_LOCK_ATTEMPTS || !isMigrationLockTimeout((error as Error).message)) throw error;
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
