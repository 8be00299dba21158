/**
 * Where a rule sends, as stored with it (alert_rule.channels_json): Slack-compatible
 * webhook URLs, signed webhooks (URL and secret), e-mail recipients. Secrets and
 * Slack URLs (which are credentials) stay on the server: pages get redacted views.
 */
import { z } from "zod";
import type { AlertChannel } from "./alert-channel";
import { emailAlertChannel } from "./email-alert-channel";
import type { SendEmail } from "./email-message";
import { signedWebhookChannel } from "./signed-webhook-channel";
import { slackWebhookChannel } from "./slack-webhook-channel";

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2_000);

export const alertChannelConfigSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("slack"), url: httpUrl }),
  z.object({ kind: z.literal("webhook"), url: httpUrl, secret: z.string().min(16, "must be at least 16 characters").max(256) }),
  z.object({ kind: z.literal("email"), to: z.array(z.email().max(254)).min(1).max(50) }),
]);

export type AlertChannelConfig = z.output<typeof alertChannelConfigSchema>;

export const alertChannelConfigsSchema = z.array(alertChannelConfigSchema).max(10);

/** A channel as pages see it. */
export interface RedactedAlertChannel {
  kind: AlertChannelConfig["kind"];
  /** Host of a webhook, recipients of e-mail. */
  label: string;
  /** A signed webhook's secret is set (never shown). */
  hasSecret: boolean;
}

export function redactChannel(config: AlertChannelConfig): RedactedAlertChannel {
  switch (config.kind) {
    case "slack":
      return { kind: "slack", label: new URL(config.url).host, hasSecret: false };
    case "webhook":
      return { kind: "webhook", label: new URL(config.url).host, hasSecret: true };
    case "email":
      return { kind: "email", label: config.to.join(", "), hasSecret: false };
  }
}

/** Stored channels, read back; a row that no longer parses fails loudly with the rule's id. */
export function parseStoredChannels(ruleId: number, json: string): AlertChannelConfig[] {
  const parsed = alertChannelConfigsSchema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`alert_rule ${ruleId}: channels_json: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

export interface ChannelDependencies {
  /** The server's SMTP sender; null when none is configured. */
  sendEmail: SendEmail | null;
  nowMs?: () => number;
}

export function channelOf(config: AlertChannelConfig, dependencies: ChannelDependencies): AlertChannel {
  switch (config.kind) {
    case "slack":
      return slackWebhookChannel(config.url);
    case "webhook":
      return signedWebhookChannel(config.url, config.secret, dependencies.nowMs);
    case "email":
      return emailAlertChannel(config.to, dependencies.sendEmail);
  }
}
