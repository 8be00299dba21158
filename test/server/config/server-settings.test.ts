import { describe, expect, it } from "vitest";
import { DEFAULT_INGEST_MAX_BYTES } from "../../../server/api/rest/ingest-handler";
import { adminTokenFrom, alertSettingsFrom, chargebackRecipientsFrom, ingestSettingsFrom, smtpSettingsFrom } from "../../../server/config/server-settings";

describe("ingestSettingsFrom", () => {
  it("takes the default body limit when GPU_ROI_INGEST_MAX_BYTES is unset and the given one when set", () => {
    expect(ingestSettingsFrom({}).maxBodyBytes).toBe(DEFAULT_INGEST_MAX_BYTES);
    expect(ingestSettingsFrom({ GPU_ROI_INGEST_MAX_BYTES: "4096" }).maxBodyBytes).toBe(4096);
  });

  it("refuses a body limit that is not a positive whole number, naming the variable", () => {
    expect(() => ingestSettingsFrom({ GPU_ROI_INGEST_MAX_BYTES: "lots" })).toThrow(/GPU_ROI_INGEST_MAX_BYTES/);
    expect(() => ingestSettingsFrom({ GPU_ROI_INGEST_MAX_BYTES: "-1" })).toThrow(/GPU_ROI_INGEST_MAX_BYTES/);
  });
});

describe("adminTokenFrom", () => {
  it("reads the break-glass token, absent when unset", () => {
    expect(adminTokenFrom({ GPU_ROI_ADMIN_TOKEN: "s3cret" })).toBe("s3cret");
    expect(adminTokenFrom({})).toBeUndefined();
  });
});

describe("chargebackRecipientsFrom", () => {
  it("reads comma-separated addresses, none when unset or empty", () => {
    expect(chargebackRecipientsFrom({ GPU_ROI_CHARGEBACK_RECIPIENTS: "finance@example.com, lead@example.org" })).toEqual(["finance@example.com", "lead@example.org"]);
    expect(chargebackRecipientsFrom({})).toEqual([]);
    expect(chargebackRecipientsFrom({ GPU_ROI_CHARGEBACK_RECIPIENTS: " " })).toEqual([]);
  });

  it("refuses what is not an address, naming the variable", () => {
    expect(() => chargebackRecipientsFrom({ GPU_ROI_CHARGEBACK_RECIPIENTS: "finance@example.com;lead@example.org" })).toThrow(/GPU_ROI_CHARGEBACK_RECIPIENTS/);
    expect(() => chargebackRecipientsFrom({ GPU_ROI_CHARGEBACK_RECIPIENTS: "finance" })).toThrow(/GPU_ROI_CHARGEBACK_RECIPIENTS/);
  });
});

describe("alertSettingsFrom", () => {
  it("evaluates every 60 s without SMTP by default", () => {
    expect(alertSettingsFrom({})).toEqual({ evaluationIntervalMs: 60_000, smtp: null });
  });

  it("reads the SMTP server, defaulting to port 587 with STARTTLS, or 465 with TLS when secure", () => {
    const env = { GPU_ROI_SMTP_HOST: "mail.example.com", GPU_ROI_SMTP_FROM: "gpu-roi@example.com", GPU_ROI_SMTP_USER: "alerts", GPU_ROI_SMTP_PASSWORD: "pw" };
    expect(alertSettingsFrom(env).smtp).toEqual({ host: "mail.example.com", port: 587, secure: false, user: "alerts", password: "pw", from: "gpu-roi@example.com", requireTls: false });
    expect(alertSettingsFrom({ ...env, GPU_ROI_SMTP_SECURE: "true" }).smtp).toMatchObject({ port: 465, secure: true });
    expect(alertSettingsFrom({ ...env, GPU_ROI_SMTP_PORT: "465" }).smtp).toMatchObject({ port: 465, secure: true });
  });

  it("refuses bad values, naming the variable", () => {
    expect(() => alertSettingsFrom({ GPU_ROI_ALERT_INTERVAL_SECONDS: "5" })).toThrow(/GPU_ROI_ALERT_INTERVAL_SECONDS/);
    expect(() => alertSettingsFrom({ GPU_ROI_SMTP_HOST: "mail.example.com" })).toThrow(/GPU_ROI_SMTP_FROM/);
    expect(() => alertSettingsFrom({ GPU_ROI_SMTP_HOST: "h", GPU_ROI_SMTP_FROM: "a@b.c", GPU_ROI_SMTP_PORT: "99999" })).toThrow(/GPU_ROI_SMTP_PORT/);
    expect(() => alertSettingsFrom({ GPU_ROI_SMTP_HOST: "h", GPU_ROI_SMTP_FROM: "a@b.c", GPU_ROI_SMTP_SECURE: "maybe" })).toThrow(/GPU_ROI_SMTP_SECURE/);
    expect(() => alertSettingsFrom({ GPU_ROI_SMTP_HOST: "h", GPU_ROI_SMTP_FROM: "a@b.c", GPU_ROI_SMTP_PASSWORD: "pw" })).toThrow(/GPU_ROI_SMTP_USER/);
  });
});

describe("smtpSettingsFrom", () => {
  it("is null without GPU_ROI_SMTP_HOST (no e-mail), as the chargeback report and alerts read it", () => {
    expect(smtpSettingsFrom({})).toBeNull();
    expect(smtpSettingsFrom({ GPU_ROI_SMTP_HOST: "mail.example.com", GPU_ROI_SMTP_FROM: "GPU ROI <gpu-roi@example.com>" })).toMatchObject({ port: 587, from: "GPU ROI <gpu-roi@example.com>", user: null });
  });
});
