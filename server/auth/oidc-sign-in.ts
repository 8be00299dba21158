/**
 * OIDC sign-in, authorization code with PKCE, through openid-client (v6). The
 * login step keeps its state, nonce and PKCE verifier in a short-lived cookie
 * signed with GPU_ROI_SESSION_SECRET, so any replica can finish the callback.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import * as oidc from "openid-client";
import type { OidcSettings } from "../config/server-settings";
import { ServiceError } from "../services/service-error";
import { isLoopbackHost } from "./startup-rule";

export const LOGIN_STATE_COOKIE = "gpu_roi_login";
/** How long a sign-in may take at the provider (the login form, a second factor). */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;
export const CALLBACK_PATH = "/api/auth/callback";

interface LoginState {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  expiresAtMs: number;
}

export interface SignedInUser {
  subject: string;
  displayName: string;
  groups: unknown;
}

const configurations = new Map<string, Promise<oidc.Configuration>>();

/** The provider's configuration (discovery), fetched once per process; a failed fetch is retried on the next sign-in. */
export function providerConfiguration(settings: OidcSettings): Promise<oidc.Configuration> {
  const key = `${settings.issuerUrl.href}\u0000${settings.clientId}`;
  let configuration = configurations.get(key);
  if (!configuration) {
    // Plain http is accepted for a provider on this machine only (tests, a local Keycloak).
    const insecure = settings.issuerUrl.protocol === "http:" && isLoopbackHost(settings.issuerUrl.hostname);
    configuration = oidc.discovery(
      settings.issuerUrl,
      settings.clientId,
      undefined,
      settings.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(settings.clientSecret),
      insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
    );
    configuration.catch(() => configurations.delete(key));
    configurations.set(key, configuration);
  }
  return configuration;
}

/** The provider's configuration, or 503 naming the issuer when it cannot be had (the provider is down, or its discovery document unusable). */
async function reachableProvider(settings: OidcSettings): Promise<oidc.Configuration> {
  try {
    return await providerConfiguration(settings);
  } catch (error) {
    throw new ServiceError(503, `sign-in: the OpenID provider at ${settings.issuerUrl.href} could not be used (${(error as Error).message}); retry later`);
  }
}

/** A path on this site to return to after sign-in; anything else (another site, //host) becomes "/". */
export function safeReturnPath(value: string | null | undefined): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\") || /[\u0000-\u001f]/.test(value)) return "/";
  return value;
}

function sign(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(`gpu-roi login state ${payload}`).digest("base64url");
}

export function encodeLoginState(secret: string, state: LoginState): string {
  const payload = Buffer.from(JSON.stringify(state)).toString("base64url");
  return `${payload}.${sign(secret, payload)}`;
}

/** The login state the cookie holds, or null when it was not signed with this secret or has expired. */
export function decodeLoginState(secret: string, value: string | undefined, nowMs: number): LoginState | null {
  const match = /^([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(value ?? "");
  if (!match) return null;
  const given = Buffer.from(match[2]);
  const expected = Buffer.from(sign(secret, match[1]));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const state = JSON.parse(Buffer.from(match[1], "base64url").toString()) as LoginState;
  return state.expiresAtMs > nowMs ? state : null;
}

/** Where to send the browser to sign in, and the state cookie's value. */
export async function beginSignIn(settings: OidcSettings, returnTo: string, nowMs: number): Promise<{ authorizationUrl: URL; stateCookieValue: string }> {
  const configuration = await reachableProvider(settings);
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state: LoginState = {
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    codeVerifier,
    returnTo: safeReturnPath(returnTo),
    expiresAtMs: nowMs + LOGIN_STATE_TTL_MS,
  };
  const authorizationUrl = oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: new URL(CALLBACK_PATH, settings.publicUrl).href,
    scope: settings.scopes,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state: state.state,
    nonce: state.nonce,
  });
  return { authorizationUrl, stateCookieValue: encodeLoginState(settings.sessionSecret, state) };
}

/**
 * Finishes sign-in: checks the state cookie, exchanges the code (PKCE, state and
 * nonce checked by openid-client), and returns who signed in with their groups claim.
 */
export async function finishSignIn(
  settings: OidcSettings,
  callbackSearch: string,
  stateCookie: string | undefined,
  nowMs: number,
): Promise<{ user: SignedInUser; returnTo: string }> {
  const loginState = decodeLoginState(settings.sessionSecret, stateCookie, nowMs);
  if (loginState === null) throw new ServiceError(400, "sign-in: no sign-in in progress in this browser, or it took over 10 minutes; start again", "state");
  const configuration = await reachableProvider(settings);
  // The URL the provider redirected to, as the provider knows it (not as a proxy in front of gpu-roi rewrote it).
  const currentUrl = new URL(`${CALLBACK_PATH}${callbackSearch}`, settings.publicUrl);
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
      pkceCodeVerifier: loginState.codeVerifier,
      expectedState: loginState.state,
      expectedNonce: loginState.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    throw new ServiceError(401, `sign-in: the provider's answer was refused (${(error as Error).message})`, "code");
  }
  const claims = tokens.claims();
  if (!claims) throw new ServiceError(401, "sign-in: the provider sent no ID token", "id_token");
  const displayName = [claims.name, claims.preferred_username, claims.email].find((value): value is string => typeof value === "string" && value !== "") ?? claims.sub;
  return { user: { subject: claims.sub, displayName, groups: claims[settings.groupsClaim] }, returnTo: loginState.returnTo };
}

/** The provider's sign-out page, when it has one (RP-initiated logout), returning to gpu-roi. */
export async function providerSignOutUrl(settings: OidcSettings): Promise<URL | null> {
  try {
    const configuration = await providerConfiguration(settings);
    if (!configuration.serverMetadata().end_session_endpoint) return null;
    return oidc.buildEndSessionUrl(configuration, { client_id: settings.clientId, post_logout_redirect_uri: new URL("/", settings.publicUrl).href });
  } catch {
    return null;
  }
}
