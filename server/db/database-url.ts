import path from "node:path";

export type DatabaseDialect = "sqlite" | "postgresql";

export interface DatabaseTarget {
  dialect: DatabaseDialect;
  /** The URL as given (file:... or postgres://...). */
  url: string;
  /** SQLite only: absolute path of the database file. */
  sqliteFilePath?: string;
}

/** Where the embedded database lives when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = "file:./data/gpu-roi.db";

/**
 * Reads DATABASE_URL: `file:PATH` (relative to the working directory) selects the
 * embedded SQLite database, `postgres://` or `postgresql://` selects PostgreSQL.
 */
export function parseDatabaseUrl(url: string, cwd: string): DatabaseTarget {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    return { dialect: "postgresql", url };
  }
  if (url.startsWith("file:")) {
    const filePart = url.slice("file:".length).split("?")[0];
    if (filePart.length === 0) throw new Error("DATABASE_URL: file: URL has no path");
    return { dialect: "sqlite", url, sqliteFilePath: path.resolve(cwd, filePart) };
  }
  throw new Error(
    `DATABASE_URL: expected file:PATH (SQLite) or postgresql://... (PostgreSQL), got "${url.slice(0, 40)}"`,
  );
}
