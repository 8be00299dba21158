/**
 * A DataScope applied to the shapes services work with (pure). Services call
 * these; nothing here knows about requests.
 */
import type { DataScope } from "./principal";

/**
 * An allocation filter narrowed to the scope's teams: a member's filter on team
 * keeps only their own teams (none left: nothing matches), and without one it
 * gets all of them. Other keys are kept as asked.
 */
export function scopedAllocationFilter(filter: ReadonlyMap<string, readonly string[]>, scope: DataScope): Map<string, readonly string[]> {
  if (scope.kind === "all") return new Map(filter);
  const requested = filter.get("team");
  const teams = requested === undefined ? [...scope.teams] : scope.teams.filter((team) => requested.includes(team));
  return new Map([...filter, ["team", teams]]);
}

/** SQL for "the job's team is in scope" over a job table alias, and its parameters; empty for all data. */
export function teamScopeSql(scope: DataScope, jobAlias: string): { sql: string; params: string[] } {
  if (scope.kind === "all") return { sql: "", params: [] };
  if (scope.teams.length === 0) return { sql: " AND 1 = 0", params: [] };
  return { sql: ` AND ${jobAlias}.team IN (${scope.teams.map(() => "?").join(", ")})`, params: [...scope.teams] };
}
