import { z } from "zod";
import { ALERT_RULE_KINDS } from "../../../../domain/alert-rules";
import { createAlertRule } from "../../../../services/alert-rule-store";
import { alertChannelConfigSchema } from "../../../../services/channels/channel-config";
import { adminProcedure } from "../../init";

/** params are checked against the kind's own schema by the service (errors name params.<field>). */
export const createAlertRuleInput = z.object({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(ALERT_RULE_KINDS),
  enabled: z.boolean().default(true),
  params: z.record(z.string(), z.unknown()).default({}),
  channels: z.array(alertChannelConfigSchema).max(10).default([]),
});

/** Adds an alert rule: admin only. */
export const createAlertRuleProcedure = adminProcedure.input(createAlertRuleInput).mutation(({ ctx, input }) => createAlertRule(ctx.prisma, input, ctx.nowMs(), ctx.principal));
