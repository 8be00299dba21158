/**
 * Slack-compatible incoming webhook: POST {text, blocks} (Slack, Mattermost and
 * Rocket.Chat accept this shape). The URL itself is the credential, so pages see
 * only its host.
 */
import { CHANNEL_TIMEOUT_MS, noticeHeadline, postJson, type AlertChannel, type AlertNotice } from "./alert-channel";

export function slackMessageOf(notice: AlertNotice): { text: string; blocks: unknown[] } {
  const text = noticeHeadline(notice);
  const opened = new Date(notice.openedAtMs).toISOString().replace(".000Z", "Z");
  const resolved = notice.resolvedAtMs === null ? "" : `, resolved ${new Date(notice.resolvedAtMs).toISOString().replace(".000Z", "Z")}`;
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${escapeSlack(text)}*` } },
      { type: "context", elements: [{ type: "mrkdwn", text: escapeSlack(`rule ${notice.ruleName} (${notice.ruleKind}), episode ${notice.episodeId}, opened ${opened}${resolved}`) }] },
    ],
  };
}

/** Slack's three control characters in message text. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function slackWebhookChannel(url: string): AlertChannel {
  return {
    kind: "slack",
    label: new URL(url).host,
    send: (notice) => postJson(url, JSON.stringify(slackMessageOf(notice)), {}, CHANNEL_TIMEOUT_MS),
  };
}
