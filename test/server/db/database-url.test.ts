import { describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "../../../server/db/database-url";
import { postgresPoolConfig, toPostgresPlaceholders } from "../../../server/db/postgres-database";

describe("parseDatabaseUrl", () => {
  it("reads file: URLs as SQLite relative to the working directory", () => {
    expect(parseDatabaseUrl("file:./data/gpu-roi.db", "/srv/app")).toEqual({
      dialect: "sqlite",
      url: "file:./data/gpu-roi.db",
      sqliteFilePath: "/srv/app/data/gpu-roi.db",
    });
  });

  it("reads postgres and postgresql URLs as PostgreSQL", () => {
    expect(parseDatabaseUrl("postgresql://u@db:5432/gpu", "/srv").dialect).toBe("postgresql");
    expect(parseDatabaseUrl("postgres://u@db/gpu", "/srv").dialect).toBe("postgresql");
  });

  it("refuses other URLs with a message naming DATABASE_URL", () => {
    expect(() => parseDatabaseUrl("mysql://db/gpu", "/srv")).toThrow(/^DATABASE_URL: expected/);
    expect(() => parseDatabaseUrl("file:", "/srv")).toThrow(/no path/);
  });
});

describe("toPostgresPlaceholders", () => {
  it("numbers ? placeholders in order", () => {
    expect(toPostgresPlaceholders("SELECT * FROM t WHERE a = ? AND b IN (?, ?)")).toBe("SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)");
  });
});

describe("postgresPoolConfig", () => {
  it("turns Prisma's schema parameter into the connection's search_path", () => {
    const config = postgresPoolConfig("postgresql://postgres@127.0.0.1:5432/test?schema=gpu_roi");
    expect(config.connectionString).toBe("postgresql://postgres@127.0.0.1:5432/test");
    expect(config.options).toBe("-c search_path=gpu_roi");
  });

  it("refuses a schema name that is not a plain identifier", () => {
    expect(() => postgresPoolConfig("postgresql://h/db?schema=a;drop")).toThrow(/invalid schema name/);
  });
});
