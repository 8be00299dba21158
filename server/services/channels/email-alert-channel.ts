/** Alert notices as e-mail, through whatever SendEmail the server has (SMTP). */
import { noticeHeadline, type AlertChannel, type AlertNotice } from "./alert-channel";
import type { EmailMessage, SendEmail } from "./email-message";

export function alertEmailOf(notice: AlertNotice, to: readonly string[]): EmailMessage {
  const lines = [
    noticeHeadline(notice),
    "",
    `Rule: ${notice.ruleName} (${notice.ruleKind})`,
    `Episode: ${notice.episodeId}, opened ${new Date(notice.openedAtMs).toISOString()}`,
    ...(notice.resolvedAtMs === null ? [] : [`Resolved: ${new Date(notice.resolvedAtMs).toISOString()}`]),
    "",
    "Details:",
    ...Object.entries(notice.detail).map(([key, value]) => `  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`),
  ];
  return { to, subject: `gpu-roi alert: ${noticeHeadline(notice)}`.slice(0, 250), text: lines.join("\n") };
}

/** No SMTP configured: the channel fails each attempt, so the page shows why nothing was sent. */
const NO_SMTP: SendEmail = async () => {
  throw new Error("e-mail: no SMTP server configured (GPU_ROI_SMTP_HOST)");
};

export function emailAlertChannel(to: readonly string[], sendEmail: SendEmail | null): AlertChannel {
  return {
    kind: "email",
    label: to.join(", "),
    send: (notice) => (sendEmail ?? NO_SMTP)(alertEmailOf(notice, to)),
  };
}
