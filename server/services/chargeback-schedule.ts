import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import { previousMonthOf } from "../domain/budget-periods";
import type { SendEmail } from "./channels/email-message";
import { chargebackEmail, loadChargeback } from "./chargeback-service";

export type ChargebackSendOutcome =
  | { outcome: "skipped"; reason: "no-recipients" | "another-process" | "already-sent" | "in-flight" }
  | { outcome: "sent"; month: string }
  | { outcome: "failed"; month: string; error: string };

/**
 * Claims a month's send: a new row, or a failed one taken back for a retry. The
 * month is the row's primary key, so of two processes claiming it at once one
 * fails to insert and stands down.
 */
async function claimMonth(prisma: AppPrismaClient, month: string, recipients: readonly string[], nowMs: number): Promise<"claimed" | "already-sent" | "in-flight"> {
  const existing = await prisma.chargebackSend.findUnique({ where: { month } });
  if (existing?.status === "sent") return "already-sent";
  if (existing?.status === "sending") return "in-flight";
  if (existing) {
    const { count } = await prisma.chargebackSend.updateMany({
      where: { month, status: "failed" },
      data: { status: "sending", recipients: recipients.join(","), startedAtMs: BigInt(nowMs), error: null },
    });
    return count === 1 ? "claimed" : "in-flight";
  }
  try {
    await prisma.chargebackSend.create({ data: { month, status: "sending", recipients: recipients.join(","), startedAtMs: BigInt(nowMs) } });
    return "claimed";
  } catch {
    return "in-flight";
  }
}

/**
 * The monthly chargeback e-mail, run by the upkeep scheduler: from the 1st of a
 * month, the previous month's report goes to the configured recipients once.
 * Runs under the database lock (one replica at a time); the month's row is written
 * before the message goes out, so a restart never sends it twice (a process that
 * dies mid-send leaves the month "sending": sent at most once, never twice).
 * A refused send is recorded as failed and retried at the next run.
 */
export async function runChargebackSchedule(
  db: SqlDatabase,
  prisma: AppPrismaClient,
  nowMs: number,
  settings: { recipients: readonly string[]; sendEmail: SendEmail },
): Promise<ChargebackSendOutcome> {
  if (settings.recipients.length === 0) return { outcome: "skipped", reason: "no-recipients" };
  const month = previousMonthOf(nowMs);
  const outcome = await db.runExclusive("chargeback", async (): Promise<ChargebackSendOutcome> => {
    const claim = await claimMonth(prisma, month, settings.recipients, nowMs);
    if (claim !== "claimed") return { outcome: "skipped", reason: claim };
    try {
      const report = await loadChargeback(db, prisma, month, nowMs);
      await settings.sendEmail(chargebackEmail(report, settings.recipients));
      await prisma.chargebackSend.update({ where: { month }, data: { status: "sent", sentAtMs: BigInt(nowMs) } });
      return { outcome: "sent", month };
    } catch (error) {
      const message = (error as Error).message.slice(0, 1000);
      await prisma.chargebackSend.update({ where: { month }, data: { status: "failed", error: message } });
      return { outcome: "failed", month, error: message };
    }
  });
  return outcome.ran ? outcome.result : { outcome: "skipped", reason: "another-process" };
}
