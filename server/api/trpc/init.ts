import { initTRPC, TRPCError } from "@trpc/server";
import type { AppPrismaClient } from "../../db/prisma-client";
import { getServerDatabase } from "../../db/server-database";
import type { SqlDatabase } from "../../db/sql-database";
import { TimeWindowError } from "../../domain/time-window";
import { canAdminister, dataScopeOf, type DataScope, type Principal } from "../../auth/principal";
import type { PrincipalResolution } from "../../auth/resolve-principal";
import { requestPrincipal } from "../../auth/server-principal";
import { serverRecommendationRunner, serverRecommendationRunStatus, type RecommendationRunner, type RecommendationRunStatus } from "../../services/recommendation-runner";
import { ServiceError } from "../../services/service-error";

export interface TrpcContext {
  db: SqlDatabase;
  prisma: AppPrismaClient;
  nowMs: () => number;
  /** The principal is an admin (a signed-in admin, an admin's API token, GPU_ROI_ADMIN_TOKEN or its session). */
  isAdmin: boolean;
  /**
   * Who is asking (see server/auth/principal.ts); procedures pass its scope to
   * services and name it in the audit log. Null only when the request was refused
   * (see adminRefusal): every procedure refuses such a request before it runs, so
   * inside a procedure it is always set.
   */
  principal: Principal | null;
  /** Why the request has no principal or is not admin, when it is not (a wrong token, a session used from another site, no sign-in). */
  adminRefusal?: ServiceError;
  /** Where an on-demand optimizer run executes (the server: a child process, one at a time). */
  runRecommendations: RecommendationRunner;
  /** Where the latest on-demand run stands (absent: no run tracked, e.g. a test's caller). */
  recommendationRunStatus?: () => RecommendationRunStatus;
}

/** The context fields that follow from how the request's principal was resolved. */
export function principalContext(resolution: PrincipalResolution): Pick<TrpcContext, "isAdmin" | "principal" | "adminRefusal"> {
  if (resolution.principal === null) return { isAdmin: false, principal: null, adminRefusal: resolution.refusal };
  return { isAdmin: canAdminister(resolution.principal), principal: resolution.principal };
}

/**
 * The server's context for a request: the API route's, or a page's own request
 * (app/auth/page-request.ts). There is no context without a request: whoever
 * calls a procedure is resolved from one, so a page cannot read past its viewer's scope.
 */
export async function createTrpcContext(options: { req: Request }): Promise<TrpcContext> {
  const { sql, prisma, target } = getServerDatabase();
  const resolution = await requestPrincipal(options.req);
  return {
    db: sql,
    prisma,
    nowMs: Date.now,
    ...principalContext(resolution),
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

/**
 * Every procedure: the request must have a principal (signed in, a token, or an
 * open server); procedures then see `ctx.principal` set and `ctx.scope`, the rows
 * it may read, to hand to services.
 */
export const publicProcedure = t.procedure.use(mapErrors).use(({ ctx, next }) => {
  if (ctx.principal == null) {
    const refusal = ctx.adminRefusal;
    throw new TRPCError({ code: refusal?.status === 403 ? "FORBIDDEN" : "UNAUTHORIZED", message: refusal?.message ?? "authorization: sign in first" });
  }
  const scope: DataScope = dataScopeOf(ctx.principal);
  return next({ ctx: { principal: ctx.principal, scope } });
});

/** Reads that show every team side by side (alert episodes): admins and analysts; a team member is refused. */
export const allDataProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.scope.kind !== "all") {
    throw new TRPCError({ code: "FORBIDDEN", message: `authorization: ${ctx.principal.displayName} is a team member; this lists every team (admins and analysts only)` });
  }
  return next();
});

/** Procedures that change state: only for admins (signed in, an admin's token, the admin token or its session from the app's pages). */
export const adminProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.isAdmin) {
    if (ctx.principal.kind !== "open" && ctx.principal.kind !== "break-glass") {
      throw new TRPCError({ code: "FORBIDDEN", message: `authorization: ${ctx.principal.displayName} is ${ctx.principal.role === "analyst" ? "an analyst" : "a team member"}; this needs an admin` });
    }
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
