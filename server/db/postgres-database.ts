import { createHash } from "node:crypto";
import pg from "pg";
import { advisoryLockKey, type BulkInsert, type SqlDatabase, type SqlExecutor, type SqlRow, type SqlValue } from "./sql-database";

/** Rows a single bulk INSERT carries; keeps parameter arrays well under pg's limits. */
const BULK_INSERT_CHUNK_ROWS = 20_000;

/** How long opening a connection may take, ms. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 5_000;

const PG_INT8_OID = 20;
const PG_NUMERIC_OID = 1700;

/**
 * Type parsers for this pool only: BIGINT (epoch ms, counts) and NUMERIC (SUM of
 * bigint) come back as JS numbers. Values stay far below 2^53 (epoch ms until
 * year 287,396), so no precision is lost.
 */
const numberTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === PG_INT8_OID || oid === PG_NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** `?` placeholders (the SQL we write for both dialects) to PostgreSQL's `$n`. */
export function toPostgresPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/**
 * Splits Prisma's `?schema=NAME` off a PostgreSQL URL: pg does not know that
 * parameter, so the schema becomes the connection's search_path instead.
 */
export function postgresPoolConfig(url: string): pg.PoolConfig {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  const config: pg.PoolConfig = {
    connectionString: parsed.toString(),
    types: numberTypes,
    max: 10,
    // A database that does not answer (down, restarting, a cut network) fails a
    // request after this long instead of holding it, so ingest answers 503 and
    // the collector spools; without it pg waits for ever.
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    // Detects a silently dropped connection (a load balancer or NAT forgetting it).
    keepAlive: true,
  };
  if (schema) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new Error(`DATABASE_URL: invalid schema name "${schema}"`);
    config.options = `-c search_path=${schema}`;
  }
  return config;
}

/** INSERT ... SELECT FROM unnest() of one array parameter per column, the first being $firstParam. */
function unnestInsertSql(insert: BulkInsert, firstParam = 1): string {
  const columnList = insert.columns.map((column) => column.name).join(", ");
  const arrays = insert.columns.map((column, index) => `$${firstParam + index}::${column.type}[]`).join(", ");
  return `INSERT INTO ${insert.table} (${columnList}) SELECT * FROM unnest(${arrays})`;
}

function skipConflictsSql(insert: BulkInsert, firstParam = 1): string {
  const keys = insert.conflictColumns.join(", ");
  return `${unnestInsertSql(insert, firstParam)} ON CONFLICT (${keys}) DO NOTHING RETURNING ${keys}`;
}

function addOnConflictSql(insert: BulkInsert, firstParam = 1): string {
  const sums = insert.columns
    .filter((column) => !insert.conflictColumns.includes(column.name))
    .map((column) => `${column.name} = ${insert.table}.${column.name} + excluded.${column.name}`)
    .join(", ");
  return `${unnestInsertSql(insert, firstParam)} ON CONFLICT (${insert.conflictColumns.join(", ")}) DO UPDATE SET ${sums}`;
}

/** The indexes of `rows` whose keys are among the returned ones (a key repeated in rows: its first row). */
function insertedIndexes(insert: BulkInsert, rows: readonly (readonly unknown[])[], returnedKeys: readonly (readonly unknown[])[], offset = 0): number[] {
  const keyIndexes = insert.conflictColumns.map((name) => insert.columns.findIndex((column) => column.name === name));
  const keyOf = (values: readonly unknown[]) => values.map(String).join("\u0000");
  const insertedKeys = new Set(returnedKeys.map(keyOf));
  const inserted: number[] = [];
  rows.forEach((row, index) => {
    if (insertedKeys.delete(keyOf(keyIndexes.map((column) => row[column])))) inserted.push(offset + index);
  });
  return inserted;
}

/**
 * Several statements as data-modifying CTEs of one, so they cost one round trip;
 * each CTE's RETURNING rows come back as one JSON array column (r0, r1, ...).
 */
function togetherSql(statements: readonly string[], returning: boolean): string {
  const ctes = statements.map((sql, index) => `s${index} AS (${sql})`).join(",\n");
  const results = returning ? statements.map((_, index) => `(SELECT COALESCE(json_agg(s${index}), '[]'::json) FROM s${index}) AS r${index}`).join(", ") : "1 AS done";
  return `WITH ${ctes}\nSELECT ${results}`;
}

/**
 * A bulk statement as a named prepared statement: PostgreSQL parses and plans it
 * once per connection instead of on every batch (a third of ingest's database
 * time for minute batches). Only the bulk statements are named: their texts are
 * fixed per table (and combination of tables), so a connection holds a handful.
 */
function prepared(text: string, values: unknown[]): pg.QueryConfig {
  return { name: `bulk_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`, text, values };
}

/** Whether every insert fits one bulk statement (else they go one by one, in chunks). */
function fitsOneStatement(inserts: readonly BulkInsert[]): boolean {
  return inserts.every((insert) => insert.rows.length <= BULK_INSERT_CHUNK_ROWS);
}

/** The parameters of statements built with firstParam = 1 + the columns of the inserts before. */
function togetherParams(inserts: readonly BulkInsert[]): { firstParams: number[]; params: unknown[] } {
  const firstParams: number[] = [];
  const params: unknown[] = [];
  for (const insert of inserts) {
    firstParams.push(params.length + 1);
    params.push(...columnArrays(insert, insert.rows));
  }
  return { firstParams, params };
}

function columnArrays(insert: BulkInsert, rows: readonly (readonly unknown[])[]): unknown[][] {
  return insert.columns.map((_, columnIndex) => rows.map((row) => row[columnIndex]));
}

function executorFor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  const executor: SqlExecutor = {
    async query<T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) {
      const result = await client.query(toPostgresPlaceholders(sql), params as unknown[]);
      return result.rows as T[];
    },
    async queryArrays(sql: string, params: readonly SqlValue[] = []) {
      const result = await client.query({ text: toPostgresPlaceholders(sql), values: params as unknown[], rowMode: "array" });
      return result.rows as unknown[][];
    },
    async insertMany(insert: BulkInsert) {
      // unnest() of one array per column: a single statement and round trip per
      // chunk, several times faster than row-by-row inserts. RETURNING the keys
      // tells which rows were new.
      const sql = skipConflictsSql(insert);
      const inserted: number[] = [];
      for (let offset = 0; offset < insert.rows.length; offset += BULK_INSERT_CHUNK_ROWS) {
        const chunk = insert.rows.slice(offset, offset + BULK_INSERT_CHUNK_ROWS);
        const result = await client.query(prepared(sql, columnArrays(insert, chunk)));
        const returnedKeys = result.rows.map((row) => insert.conflictColumns.map((name) => row[name]));
        inserted.push(...insertedIndexes(insert, chunk, returnedKeys, offset));
      }
      return inserted;
    },
    async addMany(insert: BulkInsert) {
      const sql = addOnConflictSql(insert);
      for (let offset = 0; offset < insert.rows.length; offset += BULK_INSERT_CHUNK_ROWS) {
        await client.query(prepared(sql, columnArrays(insert, insert.rows.slice(offset, offset + BULK_INSERT_CHUNK_ROWS))));
      }
    },
    async insertManyTogether(inserts: readonly BulkInsert[]) {
      if (inserts.length < 2 || !fitsOneStatement(inserts)) {
        const results: number[][] = [];
        for (const insert of inserts) results.push(await executor.insertMany(insert));
        return results;
      }
      const { firstParams, params } = togetherParams(inserts);
      const sql = togetherSql(inserts.map((insert, index) => skipConflictsSql(insert, firstParams[index])), true);
      const [row] = (await client.query(prepared(sql, params))).rows as Record<string, Record<string, unknown>[]>[];
      return inserts.map((insert, index) =>
        insertedIndexes(insert, insert.rows, row[`r${index}`].map((returned) => insert.conflictColumns.map((name) => returned[name]))),
      );
    },
    async addManyTogether(inserts: readonly BulkInsert[]) {
      if (inserts.length < 2 || !fitsOneStatement(inserts)) {
        for (const insert of inserts) await executor.addMany(insert);
        return;
      }
      const { firstParams, params } = togetherParams(inserts);
      await client.query(prepared(togetherSql(inserts.map((insert, index) => addOnConflictSql(insert, firstParams[index])), false), params));
    },
  };
  return executor;
}

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = "postgresql" as const;
  private readonly pool: pg.Pool;
  private readonly poolExecutor: SqlExecutor;

  /** `connectTimeoutMs` overrides POSTGRES_CONNECT_TIMEOUT_MS (tests of an unanswering database). */
  constructor(url: string, options: { connectTimeoutMs?: number } = {}) {
    this.pool = new pg.Pool({ ...postgresPoolConfig(url), ...(options.connectTimeoutMs ? { connectionTimeoutMillis: options.connectTimeoutMs } : {}) });
    // An idle client that loses its connection (database restart) must not crash
    // the server: the pool drops it and the next query opens a new one.
    this.pool.on("error", () => undefined);
    this.poolExecutor = executorFor(this.pool);
  }

  query<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.poolExecutor.query<T>(sql, params);
  }

  queryArrays(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]> {
    return this.poolExecutor.queryArrays(sql, params);
  }

  insertMany(insert: BulkInsert): Promise<number[]> {
    return this.transaction((tx) => tx.insertMany(insert));
  }

  addMany(insert: BulkInsert): Promise<void> {
    return this.transaction((tx) => tx.addMany(insert));
  }

  insertManyTogether(inserts: readonly BulkInsert[]): Promise<number[][]> {
    return this.transaction((tx) => tx.insertManyTogether(inserts));
  }

  addManyTogether(inserts: readonly BulkInsert[]): Promise<void> {
    return this.transaction((tx) => tx.addManyTogether(inserts));
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // pg emits 'error' on a checked-out client whose connection drops (the
    // database restarts mid-transaction); unheard, that event would crash the
    // process. The error also fails the query in flight, so it is only recorded
    // here, and the broken client is destroyed on release instead of reused.
    let connectionError: Error | undefined;
    const onConnectionError = (error: Error) => {
      connectionError = error;
    };
    client.on("error", onConnectionError);
    try {
      await client.query("BEGIN");
      const result = await work(executorFor(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      if (!connectionError) await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.removeListener("error", onConnectionError);
      client.release(connectionError);
    }
  }

  async runExclusive<T>(name: string, work: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
    // A session lock on a connection held for the work's duration: if this
    // process dies, PostgreSQL ends the session and another replica may take over.
    const client = await this.pool.connect();
    const onConnectionError = () => undefined; // the lock ends with the connection; see transaction()
    client.on("error", onConnectionError);
    const key = advisoryLockKey(name);
    try {
      const [row] = (await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS locked", [key])).rows;
      if (!row.locked) return { ran: false };
      return { ran: true, result: await work() };
    } finally {
      client.removeListener("error", onConnectionError);
      // Closing the connection ends the session and so releases the lock, even
      // where an explicit unlock would fail; a lock must never stay with a pooled client.
      client.release(true);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
