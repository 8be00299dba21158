/**
 * From conditions to episodes, pure. An episode is one rule's condition holding for
 * one subject from when it fired until it cleared: a condition with no open episode
 * opens one (and is notified once); a condition with one keeps it open (its figures
 * refreshed, no new notice); an open episode whose condition no longer holds
 * resolves (notified once). Episodes of a rule that is disabled or deleted resolve
 * too; those of a rule that could not be evaluated this time stay as they are.
 */
import type { AlertCondition } from "./alert-rules";

export interface OpenEpisodeRef {
  id: number;
  ruleId: number;
  subjectKey: string;
}

export interface EpisodePlan {
  open: AlertCondition[];
  hold: { episodeId: number; condition: AlertCondition }[];
  resolve: { episode: OpenEpisodeRef; reason: "cleared" | "rule-removed" }[];
}

/** The unique key of the open episode of a rule and subject (alert_episode.open_key). */
export function openKeyOf(ruleId: number, subjectKey: string): string {
  return `${ruleId}:${subjectKey}`;
}

export function planEpisodes(
  openEpisodes: readonly OpenEpisodeRef[],
  conditions: readonly AlertCondition[],
  activeRuleIds: ReadonlySet<number>,
  evaluatedRuleIds: ReadonlySet<number>,
): EpisodePlan {
  const openByKey = new Map(openEpisodes.map((episode) => [openKeyOf(episode.ruleId, episode.subjectKey), episode]));
  const held = new Set<string>();
  const plan: EpisodePlan = { open: [], hold: [], resolve: [] };
  for (const condition of conditions) {
    const key = openKeyOf(condition.ruleId, condition.subjectKey);
    if (held.has(key)) continue; // one subject, one episode, even if a rule reported it twice
    held.add(key);
    const episode = openByKey.get(key);
    if (episode) plan.hold.push({ episodeId: episode.id, condition });
    else plan.open.push(condition);
  }
  for (const [key, episode] of openByKey) {
    if (held.has(key)) continue;
    if (!activeRuleIds.has(episode.ruleId)) plan.resolve.push({ episode, reason: "rule-removed" });
    else if (evaluatedRuleIds.has(episode.ruleId)) plan.resolve.push({ episode, reason: "cleared" });
  }
  return plan;
}
