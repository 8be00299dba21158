/**
 * Prisma CLI configuration. DATABASE_URL picks the schema and its migrations:
 * file:... → prisma/sqlite, postgres(ql)://... → prisma/postgresql. The CLI runs
 * the npm-shipped JavaScript schema engine through a driver adapter, so generate
 * and migrate work without downloading engine binaries.
 */
import path from "node:path";
import { defineConfig } from "prisma/config";
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from "./server/db/database-url";
import { prismaAdapterFactory } from "./server/db/prisma-adapters";

// The schema's datasource reads env("DATABASE_URL"); without it set the CLI falls
// back to downloading a query engine.
process.env.DATABASE_URL ??= DEFAULT_DATABASE_URL;
const target = parseDatabaseUrl(process.env.DATABASE_URL, process.cwd());

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", target.dialect, "schema.prisma"),
  adapter: async () => prismaAdapterFactory(target),
});
