/**
 * Runs once when the server process starts (Next.js instrumentation hook): the
 * sign-in safety rule (a server reachable from other machines must have sign-in,
 * or say GPU_ROI_AUTH=none), then the periodic upkeep of the database.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { authSettingsFrom, isDevelopmentServer } = await import("./server/config/server-settings");
  const { authStartupDecision, nextListenHostFromArgv } = await import("./server/auth/startup-rule");
  let decision;
  try {
    // `next start --hostname H` (npm start passes HOST); without it Next.js listens on every interface.
    // `next dev` serves this machine's developer: its address is not visible here, so only the settings are checked.
    const mode = authSettingsFrom().mode;
    decision = isDevelopmentServer() ? authStartupDecision(mode, "127.0.0.1") : authStartupDecision(mode, nextListenHostFromArgv(process.argv));
  } catch (error) {
    decision = { kind: "refuse" as const, message: (error as Error).message };
  }
  if (decision.kind === "refuse") {
    console.error(`gpu-roi: ${decision.message}`);
    process.exit(1);
  }
  if (decision.warning) console.warn(`gpu-roi: WARNING: ${decision.warning}`);
  const { startUpkeep } = await import("./server/services/upkeep");
  startUpkeep();
}
