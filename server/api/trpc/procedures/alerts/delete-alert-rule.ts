import { z } from "zod";
import { deleteAlertRule } from "../../../../services/alert-rule-store";
import { adminProcedure } from "../../init";

export const deleteAlertRuleInput = z.object({ id: z.number().int().positive() });

/** Deletes an alert rule (its episodes stay in the history; open ones resolve at the next evaluation): admin only. */
export const deleteAlertRuleProcedure = adminProcedure.input(deleteAlertRuleInput).mutation(({ ctx, input }) => deleteAlertRule(ctx.prisma, input.id, ctx.nowMs(), ctx.principal));
