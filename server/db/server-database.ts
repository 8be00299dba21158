import { DEFAULT_DATABASE_URL, parseDatabaseUrl, type DatabaseTarget } from "./database-url";
import { PostgresDatabase } from "./postgres-database";
import { createPrismaClient, type AppPrismaClient } from "./prisma-client";
import type { SqlDatabase } from "./sql-database";
import { SqliteDatabase } from "./sqlite-database";

export function openSqlDatabase(target: DatabaseTarget): SqlDatabase {
  return target.dialect === "sqlite" ? new SqliteDatabase(target.sqliteFilePath!) : new PostgresDatabase(target.url);
}

export interface ServerDatabase {
  target: DatabaseTarget;
  sql: SqlDatabase;
  prisma: AppPrismaClient;
}

// Kept on globalThis so that Next's dev reloads reuse one pool per process.
const holder = globalThis as typeof globalThis & { gpuRoiDatabase?: ServerDatabase };

/** The server process's database, from DATABASE_URL (default: embedded SQLite under ./data). */
export function getServerDatabase(): ServerDatabase {
  if (!holder.gpuRoiDatabase) {
    const target = parseDatabaseUrl(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, process.cwd());
    holder.gpuRoiDatabase = { target, sql: openSqlDatabase(target), prisma: createPrismaClient(target) };
  }
  return holder.gpuRoiDatabase;
}
