import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../support/test-databases";

const TSX = path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx");

/** npm start's own process with `env`, stopped before it builds or listens (the refusal comes first). */
function start(env: Record<string, string>) {
  const { GPU_ROI_OIDC_ISSUER: _issuer, GPU_ROI_AUTH: _auth, HOST: _host, ...inherited } = process.env;
  return spawnSync(TSX, [path.join(PROJECT_ROOT, "scripts", "start.ts")], {
    cwd: PROJECT_ROOT,
    env: { ...inherited, GPU_ROI_SIMULATE: "0", DATABASE_URL: "file:./data/never-created-by-this-test.db", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("npm start (scripts/start.ts)", () => {
  it("refuses to listen on a non-loopback address without sign-in, naming the settings", () => {
    const result = start({ HOST: "0.0.0.0" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without sign-in: set GPU_ROI_OIDC_ISSUER/);
    expect(result.stderr).toMatch(/GPU_ROI_AUTH=none/);
  });

  it("refuses incomplete sign-in settings, naming the missing variable", () => {
    const result = start({ HOST: "0.0.0.0", GPU_ROI_OIDC_ISSUER: "https://login.example.com" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/GPU_ROI_OIDC_CLIENT_ID is required/);
  });
});
