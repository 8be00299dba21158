/**
 * IdP groups → gpu-roi role and teams (pure). The strongest role wins: an admin
 * group beats an analyst group beats a team group; teams are kept for members
 * only (admins and analysts see every team anyway).
 */
import type { Role } from "./principal";

export interface GroupMapping {
  adminGroups: readonly string[];
  analystGroups: readonly string[];
  teamGroups: ReadonlyMap<string, readonly string[]>;
}

export type RoleAssignment = { role: Role; teams: string[] } | { role: null; reason: string };

/** The groups a claim value names: an array of strings, or one string (some providers send one group as a string). */
export function groupsFromClaim(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  return [];
}

export function assignRole(groups: readonly string[], mapping: GroupMapping): RoleAssignment {
  if (groups.some((group) => mapping.adminGroups.includes(group))) return { role: "admin", teams: [] };
  if (groups.some((group) => mapping.analystGroups.includes(group))) return { role: "analyst", teams: [] };
  const teams = [...new Set(groups.flatMap((group) => mapping.teamGroups.get(group) ?? []))].sort();
  if (teams.length > 0) return { role: "member", teams };
  return { role: null, reason: groups.length === 0 ? "the sign-in carried no groups" : `none of the groups ${groups.map((g) => JSON.stringify(g)).join(", ")} is mapped to a gpu-roi role or team` };
}
