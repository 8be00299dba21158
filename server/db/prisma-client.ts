import { PrismaClient as PostgresPrismaClient } from "./generated/postgresql/client";
import { PrismaClient as SqlitePrismaClient } from "./generated/sqlite/client";
import type { DatabaseTarget } from "./database-url";
import { prismaAdapterFactory } from "./prisma-adapters";

/**
 * Both schemas hold the same models, so the two generated clients expose the same
 * API; the SQLite client's type stands for both.
 */
export type AppPrismaClient = SqlitePrismaClient;

/** Prisma serves CRUD (settings, tokens); hot paths go through SqlDatabase. */
export function createPrismaClient(target: DatabaseTarget): AppPrismaClient {
  const adapter = prismaAdapterFactory(target);
  if (target.dialect === "sqlite") return new SqlitePrismaClient({ adapter });
  return new PostgresPrismaClient({ adapter }) as unknown as AppPrismaClient;
}
