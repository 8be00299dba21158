import { z } from "zod";
import { updateAlertRule } from "../../../../services/alert-rule-store";
import { alertChannelConfigSchema } from "../../../../services/channels/channel-config";
import { adminProcedure } from "../../init";

export const updateAlertRuleInput = z.object({
  id: z.number().int().positive(),
  name: z.string().trim().min(1).max(200).optional(),
  enabled: z.boolean().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  /** The rule's channels, whole: a new one, or {kind: "keep", index} for one it has (its secret is never sent back to pages). */
  channels: z
    .array(z.union([alertChannelConfigSchema, z.object({ kind: z.literal("keep"), index: z.number().int().min(0) })]))
    .max(10)
    .optional(),
});

/** Changes an alert rule's name, state, parameters or channels: admin only. */
export const updateAlertRuleProcedure = adminProcedure
  .input(updateAlertRuleInput)
  .mutation(({ ctx, input }) => updateAlertRule(ctx.prisma, input.id, { name: input.name, enabled: input.enabled, params: input.params, channels: input.channels }, ctx.nowMs(), ctx.principal));
