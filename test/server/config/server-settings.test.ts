import { describe, expect, it } from "vitest";
import { DEFAULT_INGEST_MAX_BYTES } from "../../../server/api/rest/ingest-handler";
import { adminTokenFrom, chargebackRecipientsFrom, ingestSettingsFrom } from "../../../server/config/server-settings";

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
