/**
 * Reads that aggregate a window of usage (allocation, overview, fleet heatmap,
 * experiments, estimates) cost tens to hundreds of milliseconds of CPU and
 * megabytes each, and on SQLite they hold the event loop while they run. Anyone
 * who can reach the server may ask for them, so this process runs a few at a
 * time, queues a bounded number for a bounded time, and answers the rest 429
 * (with Retry-After, set by the route) instead of letting one request queue
 * unbounded work.
 */
import { TRPCError } from "@trpc/server";
import type { DatabaseDialect } from "../../db/database-url";
import { AbandonedWorkError, ConcurrencyLimiter, ConcurrencyLimitError } from "./concurrency-limiter";
import { publicProcedure } from "./init";

/**
 * Heavy reads computing at once in one server process. SQLite's driver answers
 * synchronously, so two at once would only hold the event loop twice as long;
 * PostgreSQL's answers arrive asynchronously, and a second read computes while
 * the first waits for its rows.
 */
export const MAX_RUNNING_HEAVY_READS: Record<DatabaseDialect, number> = { sqlite: 1, postgresql: 2 };
/**
 * Heavy reads queued behind them; more are refused (429). A page load queues at
 * most four. Completed results wait in memory until their batch is answered, so
 * this, with the batch size, bounds the memory heavy reads hold.
 */
export const MAX_WAITING_HEAVY_READS = 16;
/** The longest a heavy read waits for its turn before it is refused (429). */
export const MAX_HEAVY_READ_WAIT_MS = 15_000;
/** What a refused client is asked to wait before it tries again. */
export const HEAVY_READ_RETRY_AFTER_S = 2;

const holder = globalThis as typeof globalThis & { gpuRoiHeavyReads?: ConcurrencyLimiter };

/** This process's limiter (one per process, also across Next's module instances; a process has one database). */
export function heavyReadLimiter(dialect: DatabaseDialect): ConcurrencyLimiter {
  holder.gpuRoiHeavyReads ??= new ConcurrencyLimiter(MAX_RUNNING_HEAVY_READS[dialect], MAX_WAITING_HEAVY_READS, MAX_HEAVY_READ_WAIT_MS);
  return holder.gpuRoiHeavyReads;
}

export const heavyReadProcedure = publicProcedure.use(async ({ ctx, signal, next }) => {
  try {
    // A call whose request was aborted while it waited is dropped, not run for nobody.
    return await heavyReadLimiter(ctx.db.dialect).run(() => next(), signal);
  } catch (error) {
    if (error instanceof AbandonedWorkError) throw new TRPCError({ code: "CLIENT_CLOSED_REQUEST", message: "the request was closed before this read started", cause: error });
    if (!(error instanceof ConcurrencyLimitError)) throw error;
    const why =
      error.reason === "queue full"
        ? `${error.running} heavy reads running and ${error.waiting} waiting (at most ${MAX_WAITING_HEAVY_READS} wait)`
        : `no turn within ${MAX_HEAVY_READ_WAIT_MS / 1000} s`;
    throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `server busy: ${why}; retry in ${HEAVY_READ_RETRY_AFTER_S} s`, cause: error });
  }
});
