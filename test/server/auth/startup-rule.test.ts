import { describe, expect, it } from "vitest";
import { authStartupDecision, isLoopbackHost, nextListenHostFromArgv, nextServerStartupDecision } from "../../../server/auth/startup-rule";

describe("isLoopbackHost", () => {
  it("accepts only addresses this machine alone can reach", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "gpu-roi.example.com", "128.0.0.1", "127.0.0.1.example.com"]) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe("authStartupDecision", () => {
  it("starts an open server on loopback, as the demo does", () => {
    expect(authStartupDecision("open", "127.0.0.1")).toEqual({ kind: "start", warning: null });
  });

  it("refuses an open server on any other address, or on every interface, naming the setting", () => {
    for (const host of ["0.0.0.0", "10.1.2.3", null]) {
      const decision = authStartupDecision("open", host);
      expect(decision.kind).toBe("refuse");
      expect(decision.kind === "refuse" && decision.message).toMatch(/GPU_ROI_OIDC_ISSUER/);
      expect(decision.kind === "refuse" && decision.message).toMatch(/GPU_ROI_AUTH=none/);
    }
  });

  it("starts with sign-in anywhere, and with GPU_ROI_AUTH=none anywhere but with a warning", () => {
    expect(authStartupDecision("oidc", "0.0.0.0")).toEqual({ kind: "start", warning: null });
    const none = authStartupDecision("none", "0.0.0.0");
    expect(none.kind).toBe("start");
    expect(none.kind === "start" && none.warning).toMatch(/GPU_ROI_AUTH=none/);
  });
});

describe("nextListenHostFromArgv", () => {
  it("reads --hostname and -H as next start takes them, null without", () => {
    expect(nextListenHostFromArgv(["node", "next", "start", "--port", "3000", "--hostname", "0.0.0.0"])).toBe("0.0.0.0");
    expect(nextListenHostFromArgv(["node", "next", "start", "-H", "127.0.0.1"])).toBe("127.0.0.1");
    expect(nextListenHostFromArgv(["node", "next", "start", "--hostname=::1"])).toBe("::1");
    expect(nextListenHostFromArgv(["node", "next", "start"])).toBeNull();
  });
});

describe("nextServerStartupDecision", () => {
  const START = ["node", "next", "start", "--port", "3000"];

  it("refuses next start on every interface (no --hostname) or a public one without sign-in, and starts it on loopback", () => {
    expect(nextServerStartupDecision(() => "open", START, false).kind).toBe("refuse");
    expect(nextServerStartupDecision(() => "open", [...START, "--hostname", "10.0.0.5"], false).kind).toBe("refuse");
    expect(nextServerStartupDecision(() => "open", [...START, "--hostname", "127.0.0.1"], false)).toEqual({ kind: "start", warning: null });
    expect(nextServerStartupDecision(() => "oidc", START, false)).toEqual({ kind: "start", warning: null });
  });

  it("checks only the settings under next dev, and refuses settings that do not parse with their message", () => {
    expect(nextServerStartupDecision(() => "open", ["node", "next-dev-worker"], true)).toEqual({ kind: "start", warning: null });
    const bad = nextServerStartupDecision(() => {
      throw new Error("GPU_ROI_OIDC_CLIENT_ID is required for OIDC sign-in");
    }, START, false);
    expect(bad).toEqual({ kind: "refuse", message: "GPU_ROI_OIDC_CLIENT_ID is required for OIDC sign-in" });
  });
});
