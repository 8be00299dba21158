import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { AlertNotice } from "../../../../server/services/channels/alert-channel";
import { channelOf, redactChannel } from "../../../../server/services/channels/channel-config";
import { deliverNotice, type DeliveryAttempt } from "../../../../server/services/channels/deliver-notice";
import { emailAlertChannel } from "../../../../server/services/channels/email-alert-channel";
import { SIGNATURE_HEADER, signedWebhookChannel, TIMESTAMP_HEADER, verifyWebhookSignature } from "../../../../server/services/channels/signed-webhook-channel";
import { slackWebhookChannel } from "../../../../server/services/channels/slack-webhook-channel";
import { smtpSendEmail } from "../../../../server/services/channels/smtp-send-email";
import { startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from "../../../support/loopback-receivers";

const SENT_AT_MS = Date.UTC(2026, 10, 26, 10, 30);
const SECRET = "a-webhook-secret-of-32-characters";

const notice: AlertNotice = {
  event: "fired",
  episodeId: 7,
  ruleId: 2,
  ruleName: "Idle GPUs",
  ruleKind: "idle-gpus",
  severity: "warning",
  subjectKey: "job:1",
  title: "Job lab/slurm-4242 (team vision) holds 2 GPUs at 2.0 % utilization for 4 h; 180.00 USD so far",
  detail: { job: "lab/slurm-4242", costSoFar: 180, currency: "USD" },
  openedAtMs: SENT_AT_MS,
  resolvedAtMs: null,
};

let receivers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
  receivers = [];
});
async function webhook(statuses?: number[]): Promise<WebhookReceiver> {
  const receiver = await startWebhookReceiver(statuses);
  receivers.push(receiver);
  return receiver;
}
async function smtp(credentials: { user: string; password: string } | null): Promise<SmtpReceiver> {
  const receiver = await startSmtpReceiver(credentials);
  receivers.push(receiver);
  return receiver;
}

describe("signedWebhookChannel", () => {
  it("posts the notice as JSON signed with HMAC-SHA256 over timestamp and body, which the receiver verifies", async () => {
    const receiver = await webhook();
    await signedWebhookChannel(receiver.url, SECRET, () => SENT_AT_MS).send(notice);
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers[TIMESTAMP_HEADER]).toBe(String(SENT_AT_MS));
    // The signature, computed here independently of the channel's code.
    const expected = createHmac("sha256", SECRET).update(`${SENT_AT_MS}.${request.body}`).digest("hex");
    expect(request.headers[SIGNATURE_HEADER]).toBe(`sha256=${expected}`);
    expect(JSON.parse(request.body)).toMatchObject({ version: 1, event: "fired", episodeId: 7, title: notice.title, detail: { costSoFar: 180 } });

    const headers = { signature: request.headers[SIGNATURE_HEADER] as string, timestamp: request.headers[TIMESTAMP_HEADER] as string };
    expect(verifyWebhookSignature(SECRET, request.body, headers, SENT_AT_MS + 1_000)).toBe(true);
    expect(verifyWebhookSignature("another-secret-of-enough-length", request.body, headers, SENT_AT_MS)).toBe(false);
    expect(verifyWebhookSignature(SECRET, request.body.replace("180", "181"), headers, SENT_AT_MS)).toBe(false);
    // A replay ten minutes later is refused.
    expect(verifyWebhookSignature(SECRET, request.body, headers, SENT_AT_MS + 10 * 60_000)).toBe(false);
  });

  it("rejects with the receiver's status when it refuses", async () => {
    const receiver = await webhook([500]);
    await expect(signedWebhookChannel(receiver.url, SECRET).send(notice)).rejects.toThrow(/HTTP 500/);
  });
});

describe("slackWebhookChannel", () => {
  it("posts {text, blocks} that a Slack-compatible webhook accepts", async () => {
    const receiver = await webhook();
    await slackWebhookChannel(receiver.url).send(notice);
    const body = JSON.parse(receiver.requests[0].body) as { text: string; blocks: { type: string }[] };
    expect(body.text).toBe(`[WARNING] ${notice.title}`);
    expect(body.blocks.map((block) => block.type)).toEqual(["section", "context"]);
  });
});

describe("smtpSendEmail", () => {
  it("delivers an alert e-mail through a real SMTP server, logging in", async () => {
    const receiver = await smtp({ user: "alerts", password: "smtp-pass" });
    const sendEmail = smtpSendEmail({ host: "127.0.0.1", port: receiver.port, secure: false, user: "alerts", password: "smtp-pass", from: "gpu-roi@example.com", requireTls: false });
    await emailAlertChannel(["oncall@example.com", "lead@example.com"], sendEmail).send(notice);
    expect(receiver.mails).toHaveLength(1);
    const [mail] = receiver.mails;
    expect(mail.user).toBe("alerts");
    expect(mail.from).toBe("gpu-roi@example.com");
    expect(mail.to).toEqual(["oncall@example.com", "lead@example.com"]);
    expect(mail.raw).toMatch(/^Subject: gpu-roi alert: \[WARNING\] Job lab\/slurm-4242/m);
    expect(mail.raw).toContain("Rule: Idle GPUs (idle-gpus)");
  });

  it("sends attachments and HTML, as the chargeback report does", async () => {
    const receiver = await smtp(null);
    const sendEmail = smtpSendEmail({ host: "127.0.0.1", port: receiver.port, secure: false, user: null, password: null, from: "gpu-roi@example.com", requireTls: false });
    await sendEmail({ to: ["finance@example.com"], subject: "Chargeback", text: "see attached", html: "<p>see attached</p>", attachments: [{ filename: "teams.csv", contentType: "text/csv", content: "team,cost\nvision,100\n" }] });
    expect(receiver.mails[0].raw).toContain('filename=teams.csv');
    expect(receiver.mails[0].raw).toContain("text/html");
  });

  it("rejects when the server refuses the login", async () => {
    const receiver = await smtp({ user: "alerts", password: "smtp-pass" });
    const sendEmail = smtpSendEmail({ host: "127.0.0.1", port: receiver.port, secure: false, user: "alerts", password: "wrong", from: "gpu-roi@example.com", requireTls: false });
    await expect(sendEmail({ to: ["a@example.com"], subject: "s", text: "t" })).rejects.toThrow(/invalid login|auth/i);
    expect(receiver.mails).toHaveLength(0);
  });
});

describe("deliverNotice", () => {
  it("retries with backoff against a receiver that fails first, recording every attempt", async () => {
    const receiver = await webhook([503, 502, 200]);
    const attempts: DeliveryAttempt[] = [];
    const pauses: number[] = [];
    const delivered = await deliverNotice(channelOf({ kind: "webhook", url: receiver.url, secret: SECRET }, { sendEmail: null }), notice, {
      policy: { maxAttempts: 4, initialMs: 10, maxMs: 100, jitterRatio: 0 },
      sleep: async (ms) => {
        pauses.push(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
      onAttempt: async (attempt) => void attempts.push(attempt),
    });
    expect(delivered).toBe(true);
    expect(receiver.requests).toHaveLength(3);
    expect(pauses).toEqual([10, 20]);
    expect(attempts.map((a) => [a.attempt, a.status, a.channelKind, a.channelLabel])).toEqual([
      [1, "failed", "webhook", new URL(receiver.url).host],
      [2, "failed", "webhook", new URL(receiver.url).host],
      [3, "sent", "webhook", new URL(receiver.url).host],
    ]);
    expect(attempts[0].error).toMatch(/HTTP 503/);
  });

  it("gives up after the last attempt", async () => {
    const receiver = await webhook([500]);
    const attempts: DeliveryAttempt[] = [];
    const delivered = await deliverNotice(slackWebhookChannel(receiver.url), notice, {
      policy: { maxAttempts: 2, initialMs: 1, maxMs: 1, jitterRatio: 0 },
      onAttempt: async (attempt) => void attempts.push(attempt),
    });
    expect(delivered).toBe(false);
    expect(attempts.map((a) => a.status)).toEqual(["failed", "failed"]);
  });

  it("records why an e-mail channel cannot send when no SMTP server is configured", async () => {
    const attempts: DeliveryAttempt[] = [];
    await deliverNotice(emailAlertChannel(["a@example.com"], null), notice, { policy: { maxAttempts: 1, initialMs: 1, maxMs: 1, jitterRatio: 0 }, onAttempt: async (a) => void attempts.push(a) });
    expect(attempts[0].error).toMatch(/GPU_ROI_SMTP_HOST/);
  });
});

describe("redactChannel", () => {
  it("shows hosts and recipients, never a secret or a Slack URL's path", () => {
    expect(redactChannel({ kind: "slack", url: "https://hooks.slack.com/services/T0/B0/XYZ" })).toEqual({ kind: "slack", label: "hooks.slack.com", hasSecret: false });
    expect(JSON.stringify(redactChannel({ kind: "webhook", url: "https://ops.example.com/hook", secret: SECRET }))).not.toContain(SECRET);
  });
});
