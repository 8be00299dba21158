import type { Principal } from "../../auth/principal";
import { budgetVisible, type DataScope } from "../../auth/principal";
import { z } from "zod";
import type { AppPrismaClient } from "../../db/prisma-client";
import type { SqlDatabase } from "../../db/sql-database";
import { loadBudgetStatuses } from "../../services/budget-status-service";
import { deleteBudget, listBudgets, setBudget } from "../../services/budget-service";
import { requireAdmin } from "./admin-auth";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";
import { readJsonBody } from "./read-request-body";

/** The budget of one scope and period, created or its amount changed. */
export const setBudgetSchema = z.object({
  action: z.literal("set").default("set"),
  scopeKind: z.enum(["team", "project", "model", "experiment", "label"]),
  scopeValue: z.string().min(1).max(256),
  period: z.enum(["month", "quarter"]),
  amount: z.number().positive().max(1e12),
});

export const deleteBudgetSchema = z.object({
  action: z.literal("delete"),
  id: z.string().regex(/^\d{1,15}$/, "a budget id"),
});

/** POST /api/v1/budgets: `{"action":"delete","id":"3"}`, or a budget to set (action "set", the default). */
export const budgetChangeSchema = z.preprocess(
  (body) => (body && typeof body === "object" && !Array.isArray(body) && !("action" in body) ? { ...body, action: "set" } : body),
  z.discriminatedUnion("action", [setBudgetSchema, deleteBudgetSchema]),
);

export interface BudgetsContext {
  db: SqlDatabase;
  prisma: AppPrismaClient;
  adminToken: string | undefined;
  /** The principal the route resolved (a signed-in admin or an admin's API token may write; see requireAdmin). */
  signedIn?: Principal | null;
  nowMs: () => number;
}

/** GET /api/v1/budgets: every budget the caller may see (a member: their teams' own) with its current period's actual and forecast spend. */
export async function handleListBudgets(context: BudgetsContext, scope: DataScope): Promise<Response> {
  try {
    const budgets = await listBudgets(context.prisma);
    const statuses = (await loadBudgetStatuses(context.db, context.prisma, context.nowMs())).filter((status) => budgetVisible(scope, status));
    const byId = new Map(budgets.map((budget) => [budget.id, budget]));
    return jsonResponse({
      budgets: statuses.map((status) => ({
        ...status,
        usedPct: status.budgetAmount > 0 ? (status.actualCost / status.budgetAmount) * 100 : null,
        createdAtMs: byId.get(status.budgetId)?.createdAtMs ?? null,
        updatedAtMs: byId.get(status.budgetId)?.updatedAtMs ?? null,
      })),
    });
  } catch (error) {
    return responseForError(error);
  }
}

/** POST /api/v1/budgets (admin): sets (creates or updates) or deletes a budget. */
export async function handleChangeBudget(request: Request, context: BudgetsContext): Promise<Response> {
  try {
    const actor = requireAdmin(request, context.adminToken, context.signedIn);
    const change = parseOrThrow(budgetChangeSchema, await readJsonBody(request, 16 * 1024));
    if (change.action === "delete") {
      await deleteBudget(context.prisma, change.id, context.nowMs(), actor);
      return jsonResponse({ deleted: change.id });
    }
    const { budget, created } = await setBudget(context.db, context.prisma, change, context.nowMs(), actor);
    return jsonResponse(budget, created ? 201 : 200);
  } catch (error) {
    return responseForError(error);
  }
}
