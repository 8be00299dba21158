import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyMigrations, listMigrationNames, sqliteFileIsBusy } from "../../../server/db/migrations";
import { parseDatabaseUrl } from "../../../server/db/database-url";
import { holdSqliteReadTransaction, type SqliteReaderProcess } from "../../support/sqlite-reader-process";
import { PROJECT_ROOT } from "../../support/test-databases";

// SQLite only: PostgreSQL readers do not block migrations.
let folder: string;
let filePath: string;
let url: string;
let reader: SqliteReaderProcess | null;

beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-busy-"));
  filePath = path.join(folder, "gpu-roi.db");
  url = `file:${filePath}`;
  reader = null;
});

afterEach(async () => {
  await reader?.release();
  fs.rmSync(folder, { recursive: true, force: true });
});

/** A file in WAL mode (as the server leaves it) without tables: every migration is pending. */
function createUnmigratedFile(): void {
  const db = new Database(filePath);
  db.pragma("journal_mode = WAL");
  db.close();
}

function appliedMigrationCount(): number {
  const db = new Database(filePath, { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe("applyMigrations", () => {
  it("succeeds without touching the file while another process holds a read transaction and nothing is pending", async () => {
    await applyMigrations(PROJECT_ROOT, url);
    new Database(filePath).pragma("journal_mode = WAL");
    reader = await holdSqliteReadTransaction(filePath);
    expect(sqliteFileIsBusy(filePath)).toBe(true);

    await expect(applyMigrations(PROJECT_ROOT, url, { sqliteBusyWaitMs: 1000 })).resolves.toBeUndefined();
  });

  it("waits for a reader to let go of the file, then migrates", async () => {
    createUnmigratedFile();
    reader = await holdSqliteReadTransaction(filePath);
    const logged: string[] = [];
    let release: Promise<void> | null = null;
    const migrated = applyMigrations(PROJECT_ROOT, url, {
      sqliteBusyWaitMs: 60_000,
      log: (line) => {
        logged.push(line);
        release ??= new Promise((resolve) => setTimeout(resolve, 1000)).then(() => reader!.release());
      },
    });

    await migrated;
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/is open in another process .* needs the file to itself; waiting up to 60 s/);
    expect(appliedMigrationCount()).toBe(listMigrationNames(PROJECT_ROOT, parseDatabaseUrl(url, PROJECT_ROOT)).length);
  });

  it("gives up after its wait with a message naming the file, the cause and the pending migrations", async () => {
    createUnmigratedFile();
    reader = await holdSqliteReadTransaction(filePath);

    const failure = await applyMigrations(PROJECT_ROOT, url, { sqliteBusyWaitMs: 1500 }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).toContain(`the SQLite file ${filePath} is open in another process`);
    expect(failure).toContain("20261127000000_init");
    expect(failure).toMatch(/waited 2 s\. Stop that process and try again\.$/);
    expect(failure).not.toContain("SocketTimeout");
  });
});

describe("sqliteFileIsBusy", () => {
  it("is false once the other process has closed the file, and for a file that does not exist", async () => {
    createUnmigratedFile();
    reader = await holdSqliteReadTransaction(filePath);
    expect(sqliteFileIsBusy(filePath)).toBe(true);
    await reader.release();
    reader = null;
    expect(sqliteFileIsBusy(filePath)).toBe(false);
    expect(sqliteFileIsBusy(path.join(folder, "missing.db"))).toBe(false);
  });
});
