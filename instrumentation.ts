/**
 * Runs once when the server process starts (Next.js instrumentation hook): the
 * sign-in safety rule (a server reachable from other machines must have sign-in,
 * or say GPU_ROI_AUTH=none), then the periodic upkeep of the database.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { authSettingsFrom, isDevelopmentServer } = await import("./server/config/server-settings");
  const { nextServerStartupDecision } = await import("./server/auth/startup-rule");
  const decision = nextServerStartupDecision(() => authSettingsFrom().mode, process.argv, isDevelopmentServer());
  if (decision.kind === "refuse") {
    console.error(`gpu-roi: ${decision.message}`);
    process.exit(1);
  }
  if (decision.warning) console.warn(`gpu-roi: WARNING: ${decision.warning}`);
  const { startUpkeep } = await import("./server/services/upkeep");
  startUpkeep();
}
