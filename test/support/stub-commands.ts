import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Shells the scripts are run with: POSIX sh (dash on Debian) and bash, where installed. */
export const SHELLS = ["/bin/sh", "/bin/dash", "/bin/bash"].filter((shell) => existsSync(shell));

/** One call of a stub: the program's name and its arguments, exactly as it received them. */
export type StubCall = string[];

export interface StubCommands {
  /** Temporary folder; the scripts run in it. */
  dir: string;
  /**
   * Absolute path no command of a script may create: hostile ids written as
   * `touch <markerPath>` (or any other command) would create it if they ran.
   */
  markerPath: string;
  /** Runs `script` with `shell`, the stubs first on PATH; returns the stubs' calls in order. */
  run(script: string, shell: string): { calls: StubCall[]; status: number | null; stderr: string };
  dispose(): void;
}

/**
 * Stand-ins for cluster commands (kubectl, scontrol, sbatch): each logs its argv
 * as one JSON line and succeeds, so an exported plan can run without a cluster
 * and show what each command received.
 */
export function createStubCommands(names: readonly string[] = ["kubectl", "scontrol", "sbatch"]): StubCommands {
  const dir = mkdtempSync(join(tmpdir(), "gpu-roi-stubs-"));
  const binDir = join(dir, "bin");
  const logPath = join(dir, "calls.jsonl");
  const markerPath = join(dir, "injected");
  mkdirSync(binDir);
  const logger = `require("node:fs").appendFileSync(process.env.GPU_ROI_STUB_LOG, JSON.stringify(process.argv.slice(1)) + "\\n")`;
  for (const name of names) {
    const path = join(binDir, name);
    writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' -e '${logger}' -- '${name}' "$@"\n`);
    chmodSync(path, 0o755);
  }
  return {
    dir,
    markerPath,
    run(script, shell) {
      rmSync(logPath, { force: true });
      const scriptPath = join(dir, "plan.sh");
      writeFileSync(scriptPath, script);
      const result = spawnSync(shell, [scriptPath], {
        cwd: dir,
        env: { NODE_ENV: "test", PATH: `${binDir}:/usr/local/bin:/usr/bin:/bin`, GPU_ROI_STUB_LOG: logPath, HOME: dir },
        encoding: "utf8",
        timeout: 60_000,
      });
      const calls = existsSync(logPath)
        ? readFileSync(logPath, "utf8")
            .split("\n")
            .filter((line) => line !== "")
            .map((line) => JSON.parse(line) as StubCall)
        : [];
      return { calls, status: result.status, stderr: result.stderr };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
