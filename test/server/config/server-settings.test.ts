import { describe, expect, it } from "vitest";
import { DEFAULT_INGEST_MAX_BYTES } from "../../../server/api/rest/ingest-handler";
import { adminTokenFrom, alertSettingsFrom, authSettingsFrom, chargebackRecipientsFrom, ingestSettingsFrom, listenHostFrom, rawRetentionDaysFrom, smtpSettingsFrom } from "../../../server/config/server-settings";

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

describe("authSettingsFrom", () => {
  const OIDC = {
    GPU_ROI_OIDC_ISSUER: "https://login.example.com/realms/gpu",
    GPU_ROI_OIDC_CLIENT_ID: "gpu-roi",
    GPU_ROI_PUBLIC_URL: "https://gpu-roi.example.com",
    GPU_ROI_SESSION_SECRET: "s".repeat(32),
    GPU_ROI_ADMIN_GROUPS: "gpu-admins, platform",
    GPU_ROI_TEAM_GROUPS: "team-vision:vision,team-ml:nlp,team-ml:speech",
  };

  it("is open with no sign-in settings, and open by choice with GPU_ROI_AUTH=none", () => {
    expect(authSettingsFrom({})).toEqual({ mode: "open", oidc: null });
    expect(authSettingsFrom({ GPU_ROI_AUTH: "none", ...OIDC })).toEqual({ mode: "none", oidc: null });
  });

  it("reads OIDC settings with their defaults, groups as lists and team groups as a map", () => {
    const settings = authSettingsFrom(OIDC);
    expect(settings.mode).toBe("oidc");
    expect(settings.oidc).toMatchObject({
      clientId: "gpu-roi",
      clientSecret: undefined,
      scopes: "openid profile email",
      groupsClaim: "groups",
      adminGroups: ["gpu-admins", "platform"],
      analystGroups: [],
      sessionTtlMs: 12 * 3_600_000,
    });
    expect(settings.oidc!.issuerUrl.href).toBe("https://login.example.com/realms/gpu");
    expect([...settings.oidc!.teamGroups]).toEqual([
      ["team-vision", ["vision"]],
      ["team-ml", ["nlp", "speech"]],
    ]);
  });

  it("refuses incomplete or malformed OIDC settings, naming the variable", () => {
    expect(() => authSettingsFrom({ ...OIDC, GPU_ROI_OIDC_CLIENT_ID: "" })).toThrow(/GPU_ROI_OIDC_CLIENT_ID is required/);
    expect(() => authSettingsFrom({ GPU_ROI_AUTH: "oidc" })).toThrow(/GPU_ROI_OIDC_ISSUER is required/);
    expect(() => authSettingsFrom({ ...OIDC, GPU_ROI_SESSION_SECRET: "short" })).toThrow(/GPU_ROI_SESSION_SECRET must be at least 32/);
    expect(() => authSettingsFrom({ ...OIDC, GPU_ROI_PUBLIC_URL: "gpu-roi.example.com" })).toThrow(/GPU_ROI_PUBLIC_URL must be an absolute/);
    expect(() => authSettingsFrom({ ...OIDC, GPU_ROI_TEAM_GROUPS: "team-vision" })).toThrow(/GPU_ROI_TEAM_GROUPS must be comma-separated GROUP:TEAM/);
    expect(() => authSettingsFrom({ ...OIDC, GPU_ROI_SESSION_HOURS: "0" })).toThrow(/GPU_ROI_SESSION_HOURS/);
    expect(() => authSettingsFrom({ ...OIDC, GPU_ROI_AUTH: "ldap" })).toThrow(/GPU_ROI_AUTH must be "oidc" or "none"/);
    expect(() => authSettingsFrom({ ...OIDC, GPU_ROI_ADMIN_GROUPS: "", GPU_ROI_TEAM_GROUPS: "" })).toThrow(/must name at least one group/);
  });
});

describe("listenHostFrom", () => {
  it("is HOST, 127.0.0.1 when unset", () => {
    expect(listenHostFrom({})).toBe("127.0.0.1");
    expect(listenHostFrom({ HOST: "0.0.0.0" })).toBe("0.0.0.0");
  });
});

describe("rawRetentionDaysFrom", () => {
  it("is 14 days unless GPU_ROI_RAW_RETENTION_DAYS says otherwise, and refuses less than a day naming the variable", () => {
    expect(rawRetentionDaysFrom({})).toBe(14);
    expect(rawRetentionDaysFrom({ GPU_ROI_RAW_RETENTION_DAYS: "30" })).toBe(30);
    expect(() => rawRetentionDaysFrom({ GPU_ROI_RAW_RETENTION_DAYS: "0" })).toThrow(/GPU_ROI_RAW_RETENTION_DAYS/);
    expect(() => rawRetentionDaysFrom({ GPU_ROI_RAW_RETENTION_DAYS: "two weeks" })).toThrow(/GPU_ROI_RAW_RETENTION_DAYS/);
  });
});
