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
import { rawRetentionDaysFromEnv } from "./retention-days";

type Environment = Readonly<Record<string, string | undefined>>;

/** Days raw usage and work windows are kept (GPU_ROI_RAW_RETENTION_DAYS, default 14, at least 1). */
export function rawRetentionDaysFrom(env: Environment = process.env): number {
  return rawRetentionDaysFromEnv(env);
}

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

/** Who may sign in and what they see: OIDC, the open loopback demo, or open by explicit choice. */
export type AuthMode = "oidc" | "open" | "none";

export interface OidcSettings {
  /** GPU_ROI_OIDC_ISSUER: the provider's issuer URL (its discovery document is at /.well-known/openid-configuration below it). */
  issuerUrl: URL;
  /** GPU_ROI_OIDC_CLIENT_ID */
  clientId: string;
  /** GPU_ROI_OIDC_CLIENT_SECRET; absent for a public client (PKCE alone). */
  clientSecret: string | undefined;
  /** GPU_ROI_PUBLIC_URL: where browsers reach gpu-roi; the callback is <it>/api/auth/callback. */
  publicUrl: URL;
  /** GPU_ROI_OIDC_SCOPES (default "openid profile email"). */
  scopes: string;
  /** GPU_ROI_OIDC_GROUPS_CLAIM (default "groups"): the ID token claim listing the user's groups. */
  groupsClaim: string;
  /** GPU_ROI_ADMIN_GROUPS: IdP groups whose members are admins. */
  adminGroups: readonly string[];
  /** GPU_ROI_ANALYST_GROUPS: IdP groups whose members are analysts. */
  analystGroups: readonly string[];
  /** GPU_ROI_TEAM_GROUPS: IdP group → gpu-roi team (the `team` label of jobs); their members are team members. */
  teamGroups: ReadonlyMap<string, readonly string[]>;
  /** GPU_ROI_SESSION_SECRET: keys the sign-in state cookie (at least 32 characters). */
  sessionSecret: string;
  /** GPU_ROI_SESSION_HOURS (default 12): how long a browser session lasts. */
  sessionTtlMs: number;
}

export interface AuthSettings {
  mode: AuthMode;
  /** Present when mode is "oidc". */
  oidc: OidcSettings | null;
}

const OIDC_VARIABLES = ["GPU_ROI_OIDC_ISSUER", "GPU_ROI_OIDC_CLIENT_ID", "GPU_ROI_PUBLIC_URL", "GPU_ROI_SESSION_SECRET"] as const;

function listOf(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function urlSetting(env: Environment, name: string): URL {
  const raw = env[name];
  let url: URL;
  try {
    url = new URL(raw ?? "");
  } catch {
    throw new Error(`${name} must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  return url;
}

/** "group:team,group2:team2" → group → teams (one group may name several teams by repeating it). */
function teamGroupsFrom(raw: string | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const pair of listOf(raw)) {
    const separator = pair.lastIndexOf(":");
    const group = pair.slice(0, separator).trim();
    const team = pair.slice(separator + 1).trim();
    if (separator <= 0 || group === "" || team === "") throw new Error(`GPU_ROI_TEAM_GROUPS must be comma-separated GROUP:TEAM pairs, got ${JSON.stringify(pair)}`);
    map.set(group, [...(map.get(group) ?? []), team]);
  }
  return map;
}

/**
 * The sign-in settings. GPU_ROI_AUTH is "oidc" (the default when GPU_ROI_OIDC_ISSUER
 * is set), "none" (open to anyone, by explicit choice) or unset (open: allowed
 * only on a loopback address, see authStartupProblem).
 */
export function authSettingsFrom(env: Environment = process.env): AuthSettings {
  const auth = env.GPU_ROI_AUTH?.trim() ?? "";
  if (auth !== "" && auth !== "oidc" && auth !== "none") throw new Error(`GPU_ROI_AUTH must be "oidc" or "none", got ${JSON.stringify(env.GPU_ROI_AUTH)}`);
  if (auth === "none") return { mode: "none", oidc: null };
  if (auth === "" && !env.GPU_ROI_OIDC_ISSUER) return { mode: "open", oidc: null };
  for (const name of OIDC_VARIABLES) {
    if (!env[name]) throw new Error(`${name} is required for OIDC sign-in (GPU_ROI_AUTH=oidc or GPU_ROI_OIDC_ISSUER set)`);
  }
  const sessionSecret = env.GPU_ROI_SESSION_SECRET!;
  if (sessionSecret.length < 32) throw new Error("GPU_ROI_SESSION_SECRET must be at least 32 characters (e.g. openssl rand -base64 32)");
  const rawHours = env.GPU_ROI_SESSION_HOURS;
  const sessionHours = rawHours === undefined || rawHours === "" ? 12 : Number(rawHours);
  if (!Number.isFinite(sessionHours) || sessionHours <= 0 || sessionHours > 24 * 30) {
    throw new Error(`GPU_ROI_SESSION_HOURS must be a number of hours above 0 and at most 720, got ${JSON.stringify(rawHours)}`);
  }
  const publicUrl = urlSetting(env, "GPU_ROI_PUBLIC_URL");
  const adminGroups = listOf(env.GPU_ROI_ADMIN_GROUPS);
  const analystGroups = listOf(env.GPU_ROI_ANALYST_GROUPS);
  const teamGroups = teamGroupsFrom(env.GPU_ROI_TEAM_GROUPS);
  if (adminGroups.length + analystGroups.length + teamGroups.size === 0) {
    throw new Error("GPU_ROI_ADMIN_GROUPS, GPU_ROI_ANALYST_GROUPS or GPU_ROI_TEAM_GROUPS must name at least one group: with none, nobody could sign in");
  }
  return {
    mode: "oidc",
    oidc: {
      issuerUrl: urlSetting(env, "GPU_ROI_OIDC_ISSUER"),
      clientId: env.GPU_ROI_OIDC_CLIENT_ID!,
      clientSecret: env.GPU_ROI_OIDC_CLIENT_SECRET || undefined,
      publicUrl,
      scopes: env.GPU_ROI_OIDC_SCOPES?.trim() || "openid profile email",
      groupsClaim: env.GPU_ROI_OIDC_GROUPS_CLAIM?.trim() || "groups",
      adminGroups,
      analystGroups,
      teamGroups,
      sessionSecret,
      sessionTtlMs: sessionHours * 3_600_000,
    },
  };
}

/** The address `npm start` has the server listen on (HOST, default 127.0.0.1). */
export function listenHostFrom(env: Environment = process.env): string {
  return env.HOST?.trim() || "127.0.0.1";
}

/** True under `next dev` (NODE_ENV=development), where the listen address is not visible to the server process. */
export function isDevelopmentServer(env: Environment = process.env): boolean {
  return env.NODE_ENV === "development";
}
