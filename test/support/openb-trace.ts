/**
 * The openb trace files (../shared/traces/clusterdata, research use; never
 * copied into the repository). Outside CI a test without them skips with a
 * message; under CI=true their absence is a failure, so a skip is never
 * counted as a pass there.
 */
import { existsSync } from "node:fs";
import path from "node:path";

export const openbTraceDir = path.resolve(import.meta.dirname, "..", "..", "..", "shared", "traces", "clusterdata");

/** Paths of the named trace files, or undefined (after saying so) when one is missing outside CI. */
export function openbTraceFiles(...names: string[]): string[] | undefined {
  const files = names.map((name) => path.join(openbTraceDir, name));
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length === 0) return files;
  if (process.env.CI === "true") throw new Error(`openb trace files missing under CI: ${missing.join(", ")}`);
  console.log(`skipping: openb trace not found (${missing.join(", ")})`);
  return undefined;
}
