import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { launcherExitStatus, signalExitStatus, superviseServer } from "../../scripts/server-supervision";

describe("launcherExitStatus", () => {
  it("reports a server killed by a signal nobody asked for as 128 + the signal's number", () => {
    expect(launcherExitStatus({ code: null, signal: "SIGKILL" }, null)).toEqual({
      status: 137,
      message: "the server was killed by SIGKILL; exiting with status 137",
      deliberate: false,
    });
    expect(launcherExitStatus({ code: null, signal: "SIGSEGV" }, null).status).toBe(139);
  });

  it("counts a stop it passed on as clean, whether the server died of the signal or exited with the shell's status for it", () => {
    expect(launcherExitStatus({ code: null, signal: "SIGTERM" }, "SIGTERM")).toEqual({ status: 0, message: "the server stopped (SIGTERM)", deliberate: true });
    expect(launcherExitStatus({ code: 143, signal: null }, "SIGTERM").status).toBe(0);
    expect(launcherExitStatus({ code: 130, signal: null }, "SIGINT").status).toBe(0);
  });

  it("reports a different signal during a stop as a crash", () => {
    expect(launcherExitStatus({ code: null, signal: "SIGKILL" }, "SIGTERM").status).toBe(137);
    expect(launcherExitStatus({ code: 1, signal: null }, "SIGTERM")).toEqual({ status: 1, message: "the server exited with code 1", deliberate: false });
  });

  it("passes the server's own exit code on when no stop was asked for", () => {
    expect(launcherExitStatus({ code: 143, signal: null }, null).status).toBe(143);
    expect(launcherExitStatus({ code: 0, signal: null }, null).status).toBe(0);
  });
});

describe("signalExitStatus", () => {
  it("follows the shell's numbering", () => {
    expect(signalExitStatus("SIGINT")).toBe(130);
    expect(signalExitStatus("SIGTERM")).toBe(143);
  });
});

describe("superviseServer", () => {
  it("exits 137 and logs the signal when the real server process is killed with SIGKILL", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const errors: string[] = [];
    const status = new Promise<number>((resolve) => superviseServer(child, { log: () => undefined, logError: (line) => errors.push(line), exit: resolve }));
    await new Promise((resolve) => child.once("spawn", resolve));
    child.kill("SIGKILL");
    expect(await status).toBe(137);
    expect(errors).toEqual(["the server was killed by SIGKILL; exiting with status 137"]);
  });

  it("exits 0 when it passed SIGTERM on and the server ended as next start does (exit code 143)", async () => {
    const child = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => process.exit(143)); process.stdout.write('ready\\n'); setInterval(() => {}, 1000)"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    const logged: string[] = [];
    let supervision: ReturnType<typeof superviseServer> | undefined;
    const status = new Promise<number>((resolve) => (supervision = superviseServer(child, { log: (line) => logged.push(line), logError: () => undefined, exit: resolve })));
    await new Promise((resolve) => child.stdout!.once("data", resolve));
    supervision!.stop("SIGTERM");
    expect(await status).toBe(0);
    expect(logged).toEqual(["the server stopped (SIGTERM)"]);
  });
});
