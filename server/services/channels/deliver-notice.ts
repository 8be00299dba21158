/**
 * Delivers one notice to one channel with retries and exponential backoff
 * (server/domain/retry-backoff.ts), reporting every attempt, sent or failed, so
 * the caller can store it for the /alerts page.
 */
import { backoffDelayMs, DEFAULT_DELIVERY_BACKOFF, type BackoffPolicy } from "../../domain/retry-backoff";
import type { AlertChannel, AlertNotice } from "./alert-channel";

export interface DeliveryAttempt {
  channelKind: AlertChannel["kind"];
  channelLabel: string;
  attempt: number;
  status: "sent" | "failed";
  error: string | null;
  attemptedAtMs: number;
}

export interface DeliveryOptions {
  policy?: BackoffPolicy;
  nowMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Told each attempt as it ends. */
  onAttempt: (attempt: DeliveryAttempt) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether the notice was delivered within the policy's attempts. */
export async function deliverNotice(channel: AlertChannel, notice: AlertNotice, options: DeliveryOptions): Promise<boolean> {
  const policy = options.policy ?? DEFAULT_DELIVERY_BACKOFF;
  const nowMs = options.nowMs ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    let error: string | null = null;
    try {
      await channel.send(notice);
    } catch (caught) {
      error = ((caught as Error).message || String(caught)).slice(0, 500);
    }
    await options.onAttempt({ channelKind: channel.kind, channelLabel: channel.label, attempt, status: error === null ? "sent" : "failed", error, attemptedAtMs: nowMs() });
    if (error === null) return true;
    const pauseMs = backoffDelayMs(policy, attempt, options.random);
    if (pauseMs === null) return false;
    await sleep(pauseMs);
  }
}
