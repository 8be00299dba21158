import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SAFETY_NET_WAL_PAGES } from "../../../server/db/sqlite-checkpointer";
import { SqliteDatabase } from "../../../server/db/sqlite-database";

let folder: string;
beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-checkpoint-"));
});
afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

async function writeRows(db: SqliteDatabase, transactions: number): Promise<void> {
  await db.query(`CREATE TABLE reading (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)`);
  for (let t = 0; t < transactions; t++) {
    await db.transaction(async (tx) => {
      for (let r = 0; r < 20; r++) await tx.query(`INSERT INTO reading (payload) VALUES (?)`, ["x".repeat(500)]);
    });
  }
}

describe("SqliteDatabase checkpoints", () => {
  it("copies the WAL into the database file from a worker thread, and keeps SQLite's own checkpoint only as a safety net", async () => {
    const filePath = path.join(folder, "gpu-roi.db");
    const db = new SqliteDatabase(filePath);
    try {
      expect(db.checkpointer).not.toBeNull();
      expect(await db.query(`PRAGMA wal_autocheckpoint`)).toEqual([{ wal_autocheckpoint: SAFETY_NET_WAL_PAGES }]);
      await writeRows(db, 100);
      const deadline = Date.now() + 10_000;
      while (db.checkpointer!.checkpointedPages === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(db.checkpointer!.checkpointedPages).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
    // Every row is in the database once reopened (nothing lost to the second connection).
    const reopened = new SqliteDatabase(filePath, { checkpointInWorker: false });
    try {
      expect(await reopened.query(`SELECT COUNT(*) AS n FROM reading`)).toEqual([{ n: 2000 }]);
    } finally {
      await reopened.close();
    }
  });

  it("leaves checkpoints to SQLite when asked to", async () => {
    const db = new SqliteDatabase(path.join(folder, "gpu-roi.db"), { checkpointInWorker: false });
    try {
      expect(db.checkpointer).toBeNull();
      expect(await db.query(`PRAGMA wal_autocheckpoint`)).toEqual([{ wal_autocheckpoint: 1000 }]);
    } finally {
      await db.close();
    }
  });
});
