import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  isPagePath,
  malformedPathSegment,
  NON_PAGE_CONTENT_SECURITY_POLICY,
  pageContentSecurityPolicy,
  SECURITY_HEADERS,
} from "../../../../server/api/rest/security-headers";
import { PROJECT_ROOT } from "../../../support/test-databases";

describe("malformedPathSegment", () => {
  it("names the first segment whose percent-escapes are not UTF-8 or not hex", () => {
    expect(malformedPathSegment("/api/v1/experiments/%ff%fe")).toBe("%ff%fe");
    expect(malformedPathSegment("/api/v1/recommendations/%ff/plan")).toBe("%ff");
    expect(malformedPathSegment("/models/a%zz")).toBe("a%zz");
    expect(malformedPathSegment("/experiments/%e2%82")).toBe("%e2%82");
  });

  it("accepts escaped names, a literal percent sign escaped included", () => {
    expect(malformedPathSegment("/experiments/50%25-done")).toBeNull();
    expect(malformedPathSegment("/models/%E2%82%AC%2Fx")).toBeNull();
    expect(malformedPathSegment("/")).toBeNull();
  });
});

describe("isPagePath", () => {
  it("tells pages from the APIs and static files, whatever a page's name ends with", () => {
    expect(isPagePath("/fleet")).toBe(true);
    expect(isPagePath("/experiments/run.js")).toBe(true);
    expect(isPagePath("/no-such-page")).toBe(true);
    expect(isPagePath("/api/health")).toBe(false);
    expect(isPagePath("/api")).toBe(false);
    expect(isPagePath("/_next/static/chunks/a.js")).toBe(false);
    expect(isPagePath("/icon.svg")).toBe(false);
  });
});

describe("pageContentSecurityPolicy", () => {
  it("allows only scripts with the nonce (and what they load), inline styles, no framing", () => {
    const policy = pageContentSecurityPolicy("abc123", false);
    expect(policy).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic';");
    expect(policy).not.toContain("unsafe-eval");
    expect(policy).toContain("style-src 'self' 'unsafe-inline'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    expect(pageContentSecurityPolicy("abc123", true)).toContain("'strict-dynamic' 'unsafe-eval';");
  });
});

describe("next.config.js headers", () => {
  it("give ingest, which the proxy leaves out, the same security headers as every other API answer", async () => {
    type HeaderRule = { source: string; headers: { key: string; value: string }[] };
    const config = (await import(pathToFileURL(path.join(PROJECT_ROOT, "next.config.js")).href)) as { default: { headers(): Promise<HeaderRule[]> } };
    const ingest = (await config.default.headers()).find((rule) => rule.source === "/api/v1/ingest");
    const given = Object.fromEntries(ingest!.headers.map(({ key, value }) => [key.toLowerCase(), value]));
    expect(given).toEqual({ ...SECURITY_HEADERS, "content-security-policy": NON_PAGE_CONTENT_SECURITY_POLICY });
  });
});
