import { initTRPC, TRPCError } from "@trpc/server";
import type { AppPrismaClient } from "../../db/prisma-client";
import { getServerDatabase } from "../../db/server-database";
import type { SqlDatabase } from "../../db/sql-database";
import { TimeWindowError } from "../../domain/time-window";
import { ServiceError } from "../../services/service-error";

export interface TrpcContext {
  db: SqlDatabase;
  prisma: AppPrismaClient;
  nowMs: () => number;
}

export function createTrpcContext(): TrpcContext {
  const { sql, prisma } = getServerDatabase();
  return { db: sql, prisma, nowMs: Date.now };
}

const t = initTRPC.context<TrpcContext>().create();

const STATUS_TO_CODE = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  503: "SERVICE_UNAVAILABLE",
} as const;

/** Domain and service errors become tRPC errors with a matching code and their message. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof TimeWindowError) throw new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
    if (cause instanceof ServiceError) throw new TRPCError({ code: STATUS_TO_CODE[cause.status], message: cause.message, cause });
  }
  return result;
});

export const createTrpcRouter = t.router;
export const publicProcedure = t.procedure.use(mapErrors);
export const createCallerFactory = t.createCallerFactory;
