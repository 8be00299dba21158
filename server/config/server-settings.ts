/**
 * The server's settings from its environment, read and checked here so that the
 * routes and contexts take values, never process.env. Read on each call: the admin
 * token may be set after the process started (first setup), as before.
 */
import type { WindowTimeBounds } from "../domain/window-time-bounds";
import { windowTimeBoundsFromEnv } from "../api/rest/ingest-config";
import { DEFAULT_INGEST_MAX_BYTES } from "../api/rest/ingest-handler";
import { ingestRateLimiterFromEnv, type IngestRateLimiter } from "../api/rest/ingest-rate-limiter";

type Environment = Readonly<Record<string, string | undefined>>;

export interface IngestSettings {
  maxBodyBytes: number;
  windowTimeBounds: WindowTimeBounds;
}

/** The break-glass admin token (GPU_ROI_ADMIN_TOKEN); absent = admin writes refused. */
export function adminTokenFrom(env: Environment = process.env): string | undefined {
  return env.GPU_ROI_ADMIN_TOKEN;
}

/** Body limit (GPU_ROI_INGEST_MAX_BYTES, a positive whole number of bytes) and the clock bounds of windows. */
export function ingestSettingsFrom(env: Environment = process.env): IngestSettings {
  const raw = env.GPU_ROI_INGEST_MAX_BYTES;
  const maxBodyBytes = raw === undefined || raw === "" ? DEFAULT_INGEST_MAX_BYTES : Number(raw);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new Error(`GPU_ROI_INGEST_MAX_BYTES must be a positive whole number of bytes, got ${JSON.stringify(raw)}`);
  return { maxBodyBytes, windowTimeBounds: windowTimeBoundsFromEnv(env) };
}

/** A new per-process limiter at GPU_ROI_INGEST_RATE_PER_MINUTE (one per endpoint that uses it). */
export function ingestRateLimiterFrom(env: Environment = process.env): IngestRateLimiter | undefined {
  return ingestRateLimiterFromEnv(env);
}

/**
 * Who receives the monthly chargeback e-mail (GPU_ROI_CHARGEBACK_RECIPIENTS:
 * comma-separated addresses); empty or unset = no scheduled e-mail.
 */
export function chargebackRecipientsFrom(env: Environment = process.env): string[] {
  const raw = env.GPU_ROI_CHARGEBACK_RECIPIENTS ?? "";
  const recipients = raw
    .split(",")
    .map((address) => address.trim())
    .filter((address) => address.length > 0);
  for (const address of recipients) {
    if (!/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/.test(address)) {
      throw new Error(`GPU_ROI_CHARGEBACK_RECIPIENTS: "${address}" is not an e-mail address (give comma-separated addresses)`);
    }
  }
  return recipients;
}
