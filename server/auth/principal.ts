/**
 * Who is asking, once resolved from the request (session cookie, API token,
 * break-glass admin token, or the open loopback demo). Every REST handler, tRPC
 * procedure and page asks server/auth for a Principal; services receive only its
 * DataScope (a filter on teams), never the request. Pure: no I/O here.
 */

/** admin: price book, node tokens, recommendation actions, settings; analyst: all cost data, read-only; member: only their teams' rows. */
export type Role = "admin" | "analyst" | "member";

export type PrincipalKind =
  /** No sign-in configured and the server listens on loopback (the demo), or GPU_ROI_AUTH=none. */
  | "open"
  /** A browser session from OIDC sign-in. */
  | "session"
  /** A personal API token created on /settings (Authorization: Bearer groi_...). */
  | "api-token"
  /** GPU_ROI_ADMIN_TOKEN: the CLI and first setup; every use is audited. */
  | "break-glass";

export interface Principal {
  kind: PrincipalKind;
  /** Stable id: the OIDC subject, the API token's owner subject, "break-glass" or "open". */
  subject: string;
  /** For people: name or e-mail from the ID token; for tokens: the owner's. */
  displayName: string;
  role: Role;
  /** Teams whose rows a member sees (sorted, unique); empty for admin and analyst (they see all). */
  teams: readonly string[];
  /** Set for kind "api-token": the token's id (audit names it). */
  apiTokenId?: string;
}

/** What rows a principal may read: all of them, or only those of some teams. */
export type DataScope = { kind: "all" } | { kind: "teams"; teams: readonly string[] };

export const ALL_DATA: DataScope = { kind: "all" };

export function dataScopeOf(principal: Principal): DataScope {
  return principal.role === "member" ? { kind: "teams", teams: principal.teams } : ALL_DATA;
}

export function canAdminister(principal: Principal): boolean {
  return principal.role === "admin";
}

/** True when a row owned by `team` (null: no team label) is visible in `scope`. */
export function teamVisible(scope: DataScope, team: string | null): boolean {
  return scope.kind === "all" || (team !== null && scope.teams.includes(team));
}

/** Whoever holds GPU_ROI_ADMIN_TOKEN (bearer, or the admin session it opened on /settings). */
export const BREAK_GLASS_PRINCIPAL: Principal = { kind: "break-glass", subject: "break-glass", displayName: "admin token", role: "admin", teams: [] };

/** Anyone reaching an open server (no sign-in configured): reads everything, writes nothing without the admin token. */
export const OPEN_PRINCIPAL: Principal = { kind: "open", subject: "open", displayName: "anonymous (open server)", role: "analyst", teams: [] };

/** A budget a member may see: one set on one of their teams (other scopes can span teams). */
export function budgetVisible(scope: DataScope, budget: { scopeKind: string; scopeValue: string }): boolean {
  return scope.kind === "all" || (budget.scopeKind === "team" && scope.teams.includes(budget.scopeValue));
}
