/**
 * Prisma driver adapters for the app and for the Prisma CLI (prisma.config.ts).
 * Prisma 6.19's offline path (engineType "client", wasm schema engine) needs two
 * work-arounds, both kept here so the app and the CLI share them:
 *  1. SQLite: the schema engine sends multi-statement migration scripts through
 *     executeRaw, which better-sqlite3 rejects; argument-less calls go to executeScript.
 *  2. PostgreSQL (prisma/orm issue 27403): introspection fails on columns of type
 *     "name" (OID 19) and "char" (OID 18); results report them as text (OID 25).
 */
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, SqlQuery } from "@prisma/driver-adapter-utils";
import type { DatabaseTarget } from "./database-url";
import { postgresPoolConfig } from "./postgres-database";

function routeScriptsToExecuteScript(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query: SqlQuery) => {
    if (query.args.length === 0 && query.sql.includes(";")) {
      await adapter.executeScript(query.sql);
      return 0;
    }
    return executeRaw(query);
  };
  return adapter;
}

function sqliteAdapterFactory(filePath: string): SqlMigrationAwareDriverAdapterFactory {
  // better-sqlite3 creates the file on first open, but not its folder.
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  const factory = new PrismaBetterSQLite3({ url: filePath, timeout: 5000 });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => routeScriptsToExecuteScript(await factory.connect()),
    connectToShadowDb: async () => routeScriptsToExecuteScript(await factory.connectToShadowDb()),
  };
}

const TEXT_OID = 25;
const CHAR_OID = 18;
const NAME_OID = 19;

function reportNameAndCharAsText(result: pg.QueryResult | undefined): void {
  for (const field of result?.fields ?? []) {
    if (field.dataTypeID === CHAR_OID || field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
  }
}

class TextNameClient extends pg.Client {
  // pg's query() is heavily overloaded (promise or callback, which pg.Pool uses);
  // the patch only rewrites the result's column metadata.
  override query(...args: unknown[]): never {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (error: Error | null, result: pg.QueryResult) => {
        if (!error) reportNameAndCharAsText(result);
        (last as (error: Error | null, result: pg.QueryResult) => void)(error, result);
      };
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result && typeof (result as Promise<unknown>).then === "function") {
      return (result as Promise<pg.QueryResult>).then((value) => {
        reportNameAndCharAsText(value);
        return value;
      }) as never;
    }
    return result as never;
  }
}

function postgresAdapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory {
  const config = postgresPoolConfig(url);
  const schema = new URL(url).searchParams.get("schema") ?? undefined;
  return new PrismaPg({ ...config, types: undefined, Client: TextNameClient }, { schema });
}

export function prismaAdapterFactory(target: DatabaseTarget): SqlMigrationAwareDriverAdapterFactory {
  return target.dialect === "sqlite"
    ? sqliteAdapterFactory(target.sqliteFilePath!)
    : postgresAdapterFactory(target.url);
}
