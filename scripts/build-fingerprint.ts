/**
 * Decides whether `npm start` must run `next build`: the build is reused while no
 * file that goes into it has changed (compared by path, size and modification time).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const BUILD_INPUTS = ["app", "server", "collectors", "proxy.ts", "instrumentation.ts", "next.config.js", "tsconfig.json", "package-lock.json"];
const FINGERPRINT_FILE = path.join(".next", "gpu-roi-build-fingerprint");

function collect(root: string, entry: string, hash: ReturnType<typeof createHash>): void {
  const full = path.join(root, entry);
  if (!fs.existsSync(full)) return;
  const stat = fs.statSync(full);
  if (stat.isDirectory()) {
    for (const child of fs.readdirSync(full).sort()) {
      if (child === "generated" || child === "node_modules") continue;
      collect(root, path.join(entry, child), hash);
    }
  } else {
    hash.update(`${entry}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
}

export function computeBuildFingerprint(root: string): string {
  const hash = createHash("sha256");
  for (const entry of BUILD_INPUTS) collect(root, entry, hash);
  return hash.digest("hex");
}

export function buildIsCurrent(root: string): boolean {
  const buildId = path.join(root, ".next", "BUILD_ID");
  const stored = path.join(root, FINGERPRINT_FILE);
  if (!fs.existsSync(buildId) || !fs.existsSync(stored)) return false;
  return fs.readFileSync(stored, "utf8").trim() === computeBuildFingerprint(root);
}

export function recordBuildFingerprint(root: string): void {
  fs.writeFileSync(path.join(root, FINGERPRINT_FILE), computeBuildFingerprint(root) + "\n");
}
