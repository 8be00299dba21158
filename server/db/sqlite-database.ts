import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { SAFETY_NET_WAL_PAGES, startSqliteCheckpointer, type SqliteCheckpointer } from "./sqlite-checkpointer";
import type { BulkInsert, SqlDatabase, SqlExecutor, SqlRow, SqlValue } from "./sql-database";

/**
 * The parameters as better-sqlite3 binds them (numbers, strings and null;
 * booleans are stored as 0/1), passed as one array: no copy when there is no
 * boolean, which is every row ingest writes.
 */
function bindable(params: readonly SqlValue[]): readonly unknown[] {
  for (const value of params) {
    if (typeof value === "boolean") return params.map((item) => (typeof item === "boolean" ? (item ? 1 : 0) : item));
  }
  return params;
}

/**
 * SQLite through better-sqlite3. The driver is synchronous, so a mutex keeps one
 * transaction from interleaving with statements of another request on the same
 * connection while its callback awaits.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = "sqlite" as const;
  private readonly connection: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly arrayStatements = new Map<string, Database.Statement>();
  /** Runs the WAL checkpoints off the event loop (sqlite-checkpointer.ts); null: SQLite's own, at commit. */
  readonly checkpointer: SqliteCheckpointer | null;

  constructor(filePath: string, options: { checkpointInWorker?: boolean } = {}) {
    fs.mkdirSync(path.dirname(filePath), { recursive: true });
    this.connection = new Database(filePath);
    // WAL lets the UI read while ingest writes; NORMAL sync is durable across a
    // process crash (not a power cut), the usual trade for an embedded store.
    this.connection.pragma("journal_mode = WAL");
    this.connection.pragma("synchronous = NORMAL");
    this.connection.pragma("busy_timeout = 5000");
    this.connection.pragma("foreign_keys = ON");
    this.checkpointer = options.checkpointInWorker === false ? null : startSqliteCheckpointer(filePath, { log: (line) => console.warn(line) });
    if (this.checkpointer) this.connection.pragma(`wal_autocheckpoint = ${SAFETY_NET_WAL_PAGES}`);
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private prepareArrays(sql: string): Database.Statement {
    let statement = this.arrayStatements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql).raw(true);
      this.arrayStatements.set(sql, statement);
    }
    return statement;
  }

  private readonly executor: SqlExecutor = {
    queryArrays: async (sql: string, params: readonly SqlValue[] = []) => this.prepareArrays(sql).all(bindable(params)) as unknown[][],
    query: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => {
      const statement = this.prepare(sql);
      if (statement.reader) return statement.all(bindable(params)) as T[];
      statement.run(bindable(params));
      return [];
    },
    insertMany: async (insert: BulkInsert) => {
      const columnList = insert.columns.map((column) => column.name).join(", ");
      const placeholders = insert.columns.map(() => "?").join(", ");
      const statement = this.prepare(
        `INSERT INTO ${insert.table} (${columnList}) VALUES (${placeholders}) ON CONFLICT (${insert.conflictColumns.join(", ")}) DO NOTHING`,
      );
      const inserted: number[] = [];
      insert.rows.forEach((row, index) => {
        if (statement.run(bindable(row)).changes > 0) inserted.push(index);
      });
      return inserted;
    },
    addMany: async (insert: BulkInsert) => {
      const columnList = insert.columns.map((column) => column.name).join(", ");
      const placeholders = insert.columns.map(() => "?").join(", ");
      const sums = insert.columns
        .filter((column) => !insert.conflictColumns.includes(column.name))
        .map((column) => `${column.name} = ${insert.table}.${column.name} + excluded.${column.name}`)
        .join(", ");
      const statement = this.prepare(
        `INSERT INTO ${insert.table} (${columnList}) VALUES (${placeholders}) ON CONFLICT (${insert.conflictColumns.join(", ")}) DO UPDATE SET ${sums}`,
      );
      for (const row of insert.rows) statement.run(bindable(row));
    },
    // One process, no network: one after the other costs nothing more.
    insertManyTogether: async (inserts: readonly BulkInsert[]) => {
      const results: number[][] = [];
      for (const insert of inserts) results.push(await this.executor.insertMany(insert));
      return results;
    },
    addManyTogether: async (inserts: readonly BulkInsert[]) => {
      for (const insert of inserts) await this.executor.addMany(insert);
    },
  };

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  query<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.exclusive(() => this.executor.query<T>(sql, params));
  }

  queryArrays(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]> {
    return this.exclusive(() => this.executor.queryArrays(sql, params));
  }

  insertMany(insert: BulkInsert): Promise<number[]> {
    return this.exclusive(() => this.transactionUnlocked((tx) => tx.insertMany(insert)));
  }

  addMany(insert: BulkInsert): Promise<void> {
    return this.exclusive(() => this.transactionUnlocked((tx) => tx.addMany(insert)));
  }

  insertManyTogether(inserts: readonly BulkInsert[]): Promise<number[][]> {
    return this.exclusive(() => this.transactionUnlocked((tx) => tx.insertManyTogether(inserts)));
  }

  addManyTogether(inserts: readonly BulkInsert[]): Promise<void> {
    return this.exclusive(() => this.transactionUnlocked((tx) => tx.addManyTogether(inserts)));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(() => this.transactionUnlocked(work));
  }

  private async transactionUnlocked<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    // IMMEDIATE takes the write lock up front, so a second process waits at BEGIN
    // (busy_timeout) instead of failing at its first write.
    this.connection.exec("BEGIN IMMEDIATE");
    try {
      const result = await work(this.executor);
      this.connection.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.connection.inTransaction) this.connection.exec("ROLLBACK");
      throw error;
    }
  }

  async runExclusive<T>(_name: string, work: () => Promise<T>): Promise<{ ran: true; result: T }> {
    return { ran: true, result: await work() };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.checkpointer?.stop();
    this.connection.close();
  }
}
