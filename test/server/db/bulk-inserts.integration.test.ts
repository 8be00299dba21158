import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BulkInsert } from "../../../server/db/sql-database";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";

const kinds = await databaseKinds();

/** Two tables with composite keys, as the window and rollup tables have. */
const left = (rows: (string | number)[][]): BulkInsert => ({
  table: "bulk_left",
  columns: [
    { name: "a", type: "integer" },
    { name: "b", type: "bigint" },
    { name: "amount", type: "double precision" },
  ],
  conflictColumns: ["a", "b"],
  rows,
});
const right = (rows: (string | number)[][]): BulkInsert => ({
  table: "bulk_right",
  columns: [
    { name: "name", type: "text" },
    { name: "amount", type: "double precision" },
  ],
  conflictColumns: ["name"],
  rows,
});

describe.each(kinds)("bulk inserts of several tables on $name", ({ create, skipReason }) => {
  let db: TestDatabase;
  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    await db.sql.query(`CREATE TABLE bulk_left (a INTEGER NOT NULL, b BIGINT NOT NULL, amount DOUBLE PRECISION NOT NULL, PRIMARY KEY (a, b))`);
    await db.sql.query(`CREATE TABLE bulk_right (name TEXT PRIMARY KEY, amount DOUBLE PRECISION NOT NULL)`);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("insertManyTogether tells, per table, which rows were new: stored keys and repeats within the call are skipped", async () => {
    await db.sql.insertMany(left([[1, 1_790_000_000_000, 5]]));
    const [inserted, insertedRight] = await db.sql.insertManyTogether([
      left([
        [1, 1_790_000_000_000, 7],
        [1, 1_790_000_060_000, 1],
        [2, 1_790_000_000_000, 2],
        [1, 1_790_000_060_000, 9],
      ]),
      right([["x", 1], ["y", 2]]),
    ]);
    expect(inserted).toEqual([1, 2]);
    expect(insertedRight).toEqual([0, 1]);
    const stored = await db.sql.query<{ a: number; b: number; amount: number }>(`SELECT a, b, amount FROM bulk_left ORDER BY a, b`);
    expect(stored.map((row) => [Number(row.a), Number(row.b), Number(row.amount)])).toEqual([
      [1, 1_790_000_000_000, 5],
      [1, 1_790_000_060_000, 1],
      [2, 1_790_000_000_000, 2],
    ]);
  });

  it.skipIf(skipReason)("addManyTogether inserts new keys and adds to stored ones, in every table", async () => {
    await db.sql.addManyTogether([left([[1, 1_790_000_000_000, 0.5], [3, 1, 4]]), right([["x", 10], ["z", 3]])]);
    const leftRows = await db.sql.query<{ a: number; amount: number }>(`SELECT a, amount FROM bulk_left WHERE b IN (1, 1790000000000) ORDER BY a, b`);
    expect(leftRows.map((row) => [Number(row.a), Number(row.amount)])).toEqual([[1, 5.5], [2, 2], [3, 4]]);
    const rightRows = await db.sql.query<{ name: string; amount: number }>(`SELECT name, amount FROM bulk_right ORDER BY name`);
    expect(rightRows.map((row) => [row.name, Number(row.amount)])).toEqual([["x", 11], ["y", 2], ["z", 3]]);
  });

  it.skipIf(skipReason)("writes nothing when one of the tables refuses its rows", async () => {
    const before = await db.sql.query(`SELECT * FROM bulk_right ORDER BY name`);
    // A NULL in a NOT NULL column fails the statement, and the transaction with it.
    await expect(db.sql.transaction((tx) => tx.insertManyTogether([right([["w", 1]]), left([[9, 9, null as unknown as number]])]))).rejects.toThrow();
    expect(await db.sql.query(`SELECT * FROM bulk_right ORDER BY name`)).toEqual(before);
  });
});
