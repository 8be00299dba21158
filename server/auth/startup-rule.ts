/**
 * Whether the server may start with its sign-in settings on the address it
 * listens on (issue #14, safe defaults). Pure: the mode and the address in,
 * a decision out.
 */
import type { AuthMode } from "../config/server-settings";

export type StartupDecision = { kind: "start"; warning: string | null } | { kind: "refuse"; message: string };

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return bare === "localhost" || bare === "::1" || bare === "0:0:0:0:0:0:0:1" || /^127(\.\d{1,3}){3}$/.test(bare) || /^::ffff:127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * `listenHost` null: no address given, so the server listens on every interface.
 * Open (no OIDC) is allowed on loopback only; GPU_ROI_AUTH=none opens any
 * address, with a warning.
 */
export function authStartupDecision(mode: AuthMode, listenHost: string | null): StartupDecision {
  if (mode === "oidc") return { kind: "start", warning: null };
  if (mode === "none") {
    return { kind: "start", warning: "GPU_ROI_AUTH=none: sign-in is off, anyone who reaches this server reads every team's costs" };
  }
  if (listenHost !== null && isLoopbackHost(listenHost)) return { kind: "start", warning: null };
  const where = listenHost === null ? "every interface" : listenHost;
  return {
    kind: "refuse",
    message:
      `refusing to listen on ${where} without sign-in: set GPU_ROI_OIDC_ISSUER (with GPU_ROI_OIDC_CLIENT_ID, GPU_ROI_PUBLIC_URL, GPU_ROI_SESSION_SECRET and the group settings; see docs/security.md), ` +
      "listen on 127.0.0.1 (HOST), or set GPU_ROI_AUTH=none to serve every team's costs to anyone who reaches it",
  };
}

/** The --hostname (-H) that `next start` / `next dev` was given in `argv`, or null (every interface). */
export function nextListenHostFromArgv(argv: readonly string[]): string | null {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if ((arg === "--hostname" || arg === "-H") && index + 1 < argv.length) return argv[index + 1];
    if (arg.startsWith("--hostname=")) return arg.slice("--hostname=".length);
  }
  return null;
}

/**
 * The decision for the Next.js server process itself (instrumentation.ts):
 * `next start --hostname H` gives the address in argv, and without it Next.js
 * listens on every interface. `next dev` serves this machine's developer and
 * its address is not visible here, so only the settings are checked. Settings
 * that do not parse refuse the start with their message.
 */
export function nextServerStartupDecision(readAuthMode: () => AuthMode, argv: readonly string[], development: boolean): StartupDecision {
  let mode: AuthMode;
  try {
    mode = readAuthMode();
  } catch (error) {
    return { kind: "refuse", message: (error as Error).message };
  }
  return authStartupDecision(mode, development ? "127.0.0.1" : nextListenHostFromArgv(argv));
}
