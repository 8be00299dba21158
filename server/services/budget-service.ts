import type { AppPrismaClient } from "../db/prisma-client";
import type { BudgetPeriod, BudgetScopeKind } from "../domain/budget-status";
import { loadPriceEntries } from "./allocation-service";
import type { SqlDatabase } from "../db/sql-database";
import { ServiceError } from "./service-error";
import type { Principal } from "../auth/principal";
import { recordAudit } from "./audit-log";

export const BUDGET_SCOPE_KINDS: readonly BudgetScopeKind[] = ["team", "project", "model", "experiment", "label"];
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ["month", "quarter"];

export interface StoredBudget {
  id: string;
  scopeKind: BudgetScopeKind;
  scopeValue: string;
  period: BudgetPeriod;
  amount: number;
  currency: string;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface BudgetInput {
  scopeKind: BudgetScopeKind;
  scopeValue: string;
  period: BudgetPeriod;
  amount: number;
}

type BudgetRow = Awaited<ReturnType<AppPrismaClient["budget"]["create"]>>;

function toStored(row: BudgetRow): StoredBudget {
  return {
    id: String(row.id),
    scopeKind: row.scopeKind as BudgetScopeKind,
    scopeValue: row.scopeValue,
    period: row.period as BudgetPeriod,
    amount: row.amount,
    currency: row.currency,
    createdAtMs: Number(row.createdAtMs),
    updatedAtMs: Number(row.updatedAtMs),
  };
}

/**
 * The price book's one currency, which budgets are kept in; USD while the price
 * book is empty. A price book of several currencies has no one to budget in (409).
 */
export async function priceBookCurrency(db: SqlDatabase): Promise<string> {
  const currencies = [...new Set((await loadPriceEntries(db)).map((entry) => entry.currency))].sort();
  if (currencies.length > 1) throw new ServiceError(409, `the price book mixes currencies (${currencies.join(", ")}); budgets need one`);
  return currencies[0] ?? "USD";
}

/** Checks what zod cannot: a label scope is `key=value` with a key. */
function checkScope(input: BudgetInput): void {
  if (input.scopeValue.trim() !== input.scopeValue || input.scopeValue.length === 0) {
    throw new ServiceError(400, "scopeValue: must not be empty or start or end with spaces", "scopeValue");
  }
  if (input.scopeKind === "label" && !/^[^=]+=/.test(input.scopeValue)) {
    throw new ServiceError(400, 'scopeValue: a label budget names its label as "key=value"', "scopeValue");
  }
  if (!Number.isFinite(input.amount) || input.amount <= 0) throw new ServiceError(400, "amount: a positive amount is required", "amount");
}

/**
 * Sets the budget of a scope and period: creates it, or changes the amount of the
 * one there is. With an `actor` (every admin path passes one) the change and its
 * audit entry are written in one transaction.
 */
export async function setBudget(
  db: SqlDatabase,
  prisma: AppPrismaClient,
  input: BudgetInput,
  nowMs: number,
  actor?: Principal,
): Promise<{ budget: StoredBudget; created: boolean }> {
  checkScope(input);
  const currency = await priceBookCurrency(db);
  const key = { scopeKind: input.scopeKind, scopeValue: input.scopeValue, period: input.period };
  return prisma.$transaction(async (tx) => {
    const existing = await tx.budget.findUnique({ where: { scopeKind_scopeValue_period: key } });
    const row = await tx.budget.upsert({
      where: { scopeKind_scopeValue_period: key },
      create: { ...key, amount: input.amount, currency, createdAtMs: BigInt(nowMs), updatedAtMs: BigInt(nowMs) },
      update: { amount: input.amount, currency, updatedAtMs: BigInt(nowMs) },
    });
    const budget = toStored(row);
    if (actor) {
      await recordAudit(tx, { atMs: nowMs, actor, action: "budget.set", target: `budget:${budget.id}`, before: existing === null ? null : toStored(existing), after: budget });
    }
    return { budget, created: existing === null };
  });
}

/** Deletes a budget; 404 when there is none of that id. Audited like setBudget. */
export async function deleteBudget(prisma: AppPrismaClient, id: string, nowMs: number, actor?: Principal): Promise<void> {
  const numericId = Number(id);
  await prisma.$transaction(async (tx) => {
    const existing = Number.isSafeInteger(numericId) ? await tx.budget.findUnique({ where: { id: numericId } }) : null;
    if (existing === null) throw new ServiceError(404, `id: no budget ${id}`, "id");
    await tx.budget.delete({ where: { id: numericId } });
    if (actor) await recordAudit(tx, { atMs: nowMs, actor, action: "budget.delete", target: `budget:${existing.id}`, before: toStored(existing), after: null });
  });
}

export async function listBudgets(prisma: AppPrismaClient): Promise<StoredBudget[]> {
  const rows = await prisma.budget.findMany({ orderBy: [{ scopeKind: "asc" }, { scopeValue: "asc" }, { period: "asc" }] });
  return rows.map(toStored);
}
