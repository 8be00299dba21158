import { initTRPC, TRPCError } from "@trpc/server";
import type { AppPrismaClient } from "../../db/prisma-client";
import { getServerDatabase } from "../../db/server-database";
import type { SqlDatabase } from "../../db/sql-database";
import { TimeWindowError } from "../../domain/time-window";
import { authenticateAdmin } from "../rest/admin-session";
import { BREAK_GLASS_PRINCIPAL, OPEN_PRINCIPAL, type Principal } from "../../auth/principal";
import { serverRecommendationRunner, serverRecommendationRunStatus, type RecommendationRunner, type RecommendationRunStatus } from "../../services/recommendation-runner";
import { ServiceError } from "../../services/service-error";

export interface TrpcContext {
  db: SqlDatabase;
  prisma: AppPrismaClient;
  nowMs: () => number;
  /** The request carried the admin token (Authorization: Bearer $GPU_ROI_ADMIN_TOKEN) or, from the app's own pages, an admin session. */
  isAdmin: boolean;
  /** Who is asking (see server/auth/principal.ts); procedures pass its scope to services and name it in the audit log. */
  principal: Principal;
  /** Why the request is not admin, when it is not (a wrong token, a session used from another site). */
  adminRefusal?: ServiceError;
  /** Where an on-demand optimizer run executes (the server: a child process, one at a time). */
  runRecommendations: RecommendationRunner;
  /** Where the latest on-demand run stands (absent: no run tracked, e.g. a test's caller). */
  recommendationRunStatus?: () => RecommendationRunStatus;
}

export function createTrpcContext(options: { req?: Request } = {}): TrpcContext {
  const { sql, prisma, target } = getServerDatabase();
  const authentication = options.req ? authenticateAdmin(options.req, process.env.GPU_ROI_ADMIN_TOKEN, Date.now()) : null;
  return {
    db: sql,
    prisma,
    nowMs: Date.now,
    isAdmin: authentication?.via != null,
    principal: authentication?.via != null ? BREAK_GLASS_PRINCIPAL : OPEN_PRINCIPAL,
    adminRefusal: authentication?.via === null ? authentication.refusal : undefined,
    runRecommendations: serverRecommendationRunner(target.url),
    recommendationRunStatus: serverRecommendationRunStatus(target.url),
  };
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

/** Procedures that change state: only for requests that carry the admin token or an admin session from the app's pages. */
export const adminProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.isAdmin) {
    // A session sent from another site is forbidden; anything else lacks the token (as before sessions existed).
    const forbidden = ctx.adminRefusal?.field === "origin";
    throw new TRPCError({
      code: forbidden ? "FORBIDDEN" : "UNAUTHORIZED",
      message: forbidden ? ctx.adminRefusal!.message : "authorization: the admin token is required (Authorization: Bearer <GPU_ROI_ADMIN_TOKEN>)",
    });
  }
  return next();
});
export const createCallerFactory = t.createCallerFactory;
