/**
 * Runs once when the server process starts (Next.js instrumentation hook): the
 * periodic upkeep of the database.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startUpkeep } = await import("./server/services/upkeep");
  startUpkeep();
}
