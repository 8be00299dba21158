/**
 * One interface for every alert channel (Slack-compatible webhook, signed JSON
 * webhook, e-mail): the delivery loop (deliver-notice.ts) retries and records
 * attempts the same way whatever carries the notice.
 */
import type { AlertRuleKind, AlertSeverity } from "../../domain/alert-rules";

export type AlertNoticeEvent = "fired" | "resolved";

/** What a channel says about one episode: that it fired, or that it resolved. */
export interface AlertNotice {
  event: AlertNoticeEvent;
  episodeId: number;
  ruleId: number;
  ruleName: string;
  ruleKind: AlertRuleKind;
  severity: AlertSeverity;
  subjectKey: string;
  title: string;
  detail: Record<string, unknown>;
  openedAtMs: number;
  resolvedAtMs: number | null;
}

export type AlertChannelKind = "slack" | "webhook" | "email";

export interface AlertChannel {
  kind: AlertChannelKind;
  /** Where it sends, safe to show on pages: a host or recipients, never a secret. */
  label: string;
  /** Resolves once the receiver accepted the notice; rejects with the receiver's refusal. */
  send(notice: AlertNotice): Promise<void>;
}

/** One line for a notice: what happened to which alert. */
export function noticeHeadline(notice: AlertNotice): string {
  return notice.event === "fired" ? `[${notice.severity.toUpperCase()}] ${notice.title}` : `[RESOLVED] ${notice.title}`;
}

/** Refused by an HTTP receiver: the status and the start of its answer. */
export class ChannelHttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ""}`);
    this.name = "ChannelHttpError";
  }
}

/** POSTs a JSON body; rejects on a network error or a non-2xx answer. */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: "error",
  });
  const text = await response.text();
  if (!response.ok) throw new ChannelHttpError(response.status, text);
}

export const CHANNEL_TIMEOUT_MS = 10_000;
