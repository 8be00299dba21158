/**
 * Generic JSON webhook with an HMAC-SHA256 signed body. The receiver checks
 *
 *   X-GPU-ROI-Timestamp: <epoch ms when sent>
 *   X-GPU-ROI-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 *
 * and refuses a timestamp older than a few minutes, so a captured request cannot
 * be replayed later (verifyWebhookSignature below is the reference check).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { CHANNEL_TIMEOUT_MS, postJson, type AlertChannel, type AlertNotice } from "./alert-channel";

export const SIGNATURE_HEADER = "x-gpu-roi-signature";
export const TIMESTAMP_HEADER = "x-gpu-roi-timestamp";
/** How old a signed request a receiver should still accept. */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

export function webhookSignature(secret: string, timestampMs: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestampMs}.${body}`).digest("hex")}`;
}

/** Whether a request's body was signed with `secret` within `toleranceMs` of `nowMs`. */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  headers: { signature: string | null | undefined; timestamp: string | null | undefined },
  nowMs: number,
  toleranceMs = DEFAULT_SIGNATURE_TOLERANCE_MS,
): boolean {
  if (!headers.signature || !headers.timestamp || !/^\d+$/.test(headers.timestamp)) return false;
  const timestampMs = Number(headers.timestamp);
  if (Math.abs(nowMs - timestampMs) > toleranceMs) return false;
  const expected = Buffer.from(webhookSignature(secret, timestampMs, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The JSON body a webhook receives: the notice as it is, with its version. */
export function webhookBodyOf(notice: AlertNotice): string {
  return JSON.stringify({ version: 1, ...notice });
}

export function signedWebhookChannel(url: string, secret: string, nowMs: () => number = Date.now): AlertChannel {
  return {
    kind: "webhook",
    label: new URL(url).host,
    send: (notice) => {
      const body = webhookBodyOf(notice);
      const timestampMs = nowMs();
      return postJson(url, body, { [SIGNATURE_HEADER]: webhookSignature(secret, timestampMs, body), [TIMESTAMP_HEADER]: String(timestampMs) }, CHANNEL_TIMEOUT_MS);
    },
  };
}
