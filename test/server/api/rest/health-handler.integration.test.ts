import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { handleHealthRequest } from "../../../../server/api/rest/health-handler";
import { parseDatabaseUrl } from "../../../../server/db/database-url";
import { SqliteDatabase } from "../../../../server/db/sqlite-database";
import { createSqliteTestDatabase, PROJECT_ROOT } from "../../../support/test-databases";

describe("handleHealthRequest", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-health-"));
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  it("answers 200 when the database is reachable and migrated", async () => {
    const db = await createSqliteTestDatabase();
    try {
      const response = await handleHealthRequest({ db: db.sql, target: db.target, projectRoot: PROJECT_ROOT });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok", database: "sqlite", migrations: "current" });
    } finally {
      await db.dispose();
    }
  });

  it("answers 503 naming the pending migrations on an unmigrated database", async () => {
    const url = `file:${path.join(folder, "empty.db")}`;
    const target = parseDatabaseUrl(url, PROJECT_ROOT);
    const db = new SqliteDatabase(target.sqliteFilePath!);
    try {
      const response = await handleHealthRequest({ db, target, projectRoot: PROJECT_ROOT });
      expect(response.status).toBe(503);
      expect((await response.json()).reason).toMatch(/^migrations pending: 20261127000000_init/);
    } finally {
      await db.close();
    }
  });

  it("answers 503 when the database cannot be reached", async () => {
    const target = parseDatabaseUrl("file:/nonexistent/x.db", PROJECT_ROOT);
    const unreachable = {
      dialect: "sqlite" as const,
      query: async () => {
        throw Object.assign(new Error("unable to open database file"), { code: "SQLITE_CANTOPEN" });
      },
    };
    const response = await handleHealthRequest({ db: unreachable as never, target, projectRoot: PROJECT_ROOT });
    expect(response.status).toBe(503);
    expect((await response.json()).reason).toMatch(/^database unreachable/);
  });
});
