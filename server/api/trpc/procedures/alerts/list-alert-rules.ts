import { z } from "zod";
import { listAlertRules } from "../../../../services/alert-rule-store";
import { adminProcedure } from "../../init";

export const listAlertRulesInput = z.object({}).optional();

/** Every alert rule with its channels redacted (hosts and recipients, never a secret or a Slack URL): admin only. */
export const listAlertRulesProcedure = adminProcedure.input(listAlertRulesInput).query(({ ctx }) => listAlertRules(ctx.prisma));
