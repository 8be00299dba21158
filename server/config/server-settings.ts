/**
 * The server's settings from its environment, read and checked here so that the
 * routes and contexts take values, never process.env. Read on each call: the admin
 * token may be set after the process started (first setup), as before.
 */
import type { WindowTimeBounds } from "../domain/window-time-bounds";
import { windowTimeBoundsFromEnv } from "../api/rest/ingest-config";
import { DEFAULT_INGEST_MAX_BYTES } from "../api/rest/ingest-handler";
import { ingestRateLimiterFromEnv, type IngestRateLimiter } from "../api/rest/ingest-rate-limiter";
import type { SmtpSettings } from "../services/channels/smtp-send-email";

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

export interface AlertSettings {
  /** How often the upkeep scheduler evaluates the alert rules (GPU_ROI_ALERT_INTERVAL_SECONDS, default 60). */
  evaluationIntervalMs: number;
  /** The SMTP server e-mail goes through (GPU_ROI_SMTP_*); null when GPU_ROI_SMTP_HOST is not set. */
  smtp: SmtpSettings | null;
}

export const DEFAULT_ALERT_INTERVAL_SECONDS = 60;

function booleanSetting(env: Environment, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

/**
 * The SMTP server e-mail goes through (alert notices, the chargeback report):
 * GPU_ROI_SMTP_HOST (unset: null, no e-mail), _PORT (default 587, or 465 when
 * _SECURE), _SECURE (TLS from the start; default true on port 465), _USER,
 * _PASSWORD, _FROM (required with a host), _REQUIRE_TLS (refuse to send without
 * STARTTLS; default false).
 */
export function smtpSettingsFrom(env: Environment = process.env): SmtpSettings | null {
  const host = env.GPU_ROI_SMTP_HOST;
  if (host === undefined || host === "") return null;
  const rawPort = env.GPU_ROI_SMTP_PORT;
  const secure = booleanSetting(env, "GPU_ROI_SMTP_SECURE", rawPort === "465");
  const port = rawPort === undefined || rawPort === "" ? (secure ? 465 : 587) : Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`GPU_ROI_SMTP_PORT must be a port number (1-65535), got ${JSON.stringify(rawPort)}`);
  const from = env.GPU_ROI_SMTP_FROM;
  if (from === undefined || !/^[^\s@]+@[^\s@]+$|<[^\s@]+@[^\s@]+>$/.test(from.trim())) {
    throw new Error(`GPU_ROI_SMTP_FROM must be the sender's address (e.g. gpu-roi@example.com) when GPU_ROI_SMTP_HOST is set, got ${JSON.stringify(from)}`);
  }
  const user = env.GPU_ROI_SMTP_USER || null;
  const password = env.GPU_ROI_SMTP_PASSWORD || null;
  if (password !== null && user === null) throw new Error("GPU_ROI_SMTP_USER must be set when GPU_ROI_SMTP_PASSWORD is");
  return { host, port, secure, user, password, from: from.trim(), requireTls: booleanSetting(env, "GPU_ROI_SMTP_REQUIRE_TLS", false) };
}

/** Alert evaluation: GPU_ROI_ALERT_INTERVAL_SECONDS (whole seconds, at least 10; default 60), and the SMTP server (smtpSettingsFrom). */
export function alertSettingsFrom(env: Environment = process.env): AlertSettings {
  const rawInterval = env.GPU_ROI_ALERT_INTERVAL_SECONDS;
  const intervalSeconds = rawInterval === undefined || rawInterval === "" ? DEFAULT_ALERT_INTERVAL_SECONDS : Number(rawInterval);
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 10) {
    throw new Error(`GPU_ROI_ALERT_INTERVAL_SECONDS must be a whole number of seconds >= 10, got ${JSON.stringify(rawInterval)}`);
  }
  return { evaluationIntervalMs: intervalSeconds * 1000, smtp: smtpSettingsFrom(env) };
}
