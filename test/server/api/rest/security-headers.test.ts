import { describe, expect, it } from "vitest";
import { isPagePath, malformedPathSegment, pageContentSecurityPolicy } from "../../../../server/api/rest/security-headers";

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
