/**
 * Fresh, migrated databases for integration tests: a temporary SQLite file
 * always, and a PostgreSQL schema of its own when TEST_DATABASE_URL (default
 * postgresql://postgres@127.0.0.1:5432/test) is reachable.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { parseDatabaseUrl, type DatabaseTarget } from "../../server/db/database-url";
import { applyMigrations } from "../../server/db/migrations";
import { createPrismaClient, type AppPrismaClient } from "../../server/db/prisma-client";
import { openSqlDatabase } from "../../server/db/server-database";
import type { SqlDatabase } from "../../server/db/sql-database";

export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  name: string;
  url: string;
  target: DatabaseTarget;
  sql: SqlDatabase;
  prisma: AppPrismaClient;
  dispose(): Promise<void>;
}

async function open(name: string, url: string, cleanup: () => Promise<void>): Promise<TestDatabase> {
  // applyMigrations waits its turn for Prisma's per-database migration lock.
  await applyMigrations(PROJECT_ROOT, url);
  const target = parseDatabaseUrl(url, PROJECT_ROOT);
  const sql = openSqlDatabase(target);
  const prisma = createPrismaClient(target);
  return {
    name,
    url,
    target,
    sql,
    prisma,
    async dispose() {
      await prisma.$disconnect();
      await sql.close();
      await cleanup();
    },
  };
}

export async function createSqliteTestDatabase(): Promise<TestDatabase> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-test-"));
  return open("sqlite", `file:${path.join(folder, "test.db")}`, async () => fs.rmSync(folder, { recursive: true, force: true }));
}

/** Why PostgreSQL cannot be used, or null when it can. */
export async function postgresUnavailableReason(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return `PostgreSQL at ${TEST_POSTGRES_URL} is not reachable (${(error as Error).message}); set TEST_DATABASE_URL to run the PostgreSQL suite`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function createPostgresTestDatabase(): Promise<TestDatabase> {
  const schema = `gpu_roi_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set("schema", schema);
  return open("postgresql", url.toString(), async () => {
    const dropper = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await dropper.connect();
    await dropper.query(`DROP SCHEMA ${schema} CASCADE`);
    await dropper.end();
  });
}

/**
 * The database kinds integration suites run against. PostgreSQL is required in CI
 * (CI=true): there an unreachable server fails the run instead of skipping.
 */
export async function databaseKinds(): Promise<{ name: string; create: () => Promise<TestDatabase>; skipReason: string | null }[]> {
  const postgresReason = await postgresUnavailableReason();
  if (postgresReason && process.env.CI === "true") throw new Error(`CI requires PostgreSQL: ${postgresReason}`);
  return [
    { name: "sqlite", create: createSqliteTestDatabase, skipReason: null },
    { name: "postgresql", create: createPostgresTestDatabase, skipReason: postgresReason },
  ];
}
