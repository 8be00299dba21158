/**
 * How `npm start` follows its `next start` child: signals it receives are passed
 * on, and its own exit status tells a supervisor (systemd, Docker, a shell) how
 * the server ended.
 */
import type { ChildProcess } from "node:child_process";
import os from "node:os";

export interface ServerEnd {
  /** The server's exit code, null when a signal ended it. */
  code: number | null;
  /** The signal that ended the server, null when it exited by itself. */
  signal: NodeJS.Signals | null;
}

export interface LauncherExit {
  /** What `npm start` exits with. */
  status: number;
  /** One line for the log. */
  message: string;
  /** Whether the end was asked for (a stop passed on to the server). */
  deliberate: boolean;
}

/** The shell's status for a process a signal ended: 128 + the signal's number (SIGKILL: 137). */
export function signalExitStatus(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

/**
 * `npm start`'s exit status once its server ended.
 *  - A stop it passed on (SIGINT, SIGTERM) is clean, 0, whether the server died
 *    of that signal or exited with the shell's status for it (next start exits
 *    130 on SIGINT and 143 on SIGTERM): supervisors count only 0 as a clean stop.
 *  - A signal nobody asked for (SIGKILL from the OOM killer, SIGSEGV) is a crash:
 *    128 + the signal's number, as a shell reports it.
 *  - Otherwise the server's own exit code.
 */
export function launcherExitStatus(end: ServerEnd, forwardedSignal: NodeJS.Signals | null): LauncherExit {
  if (forwardedSignal !== null && (end.signal === forwardedSignal || end.code === signalExitStatus(forwardedSignal))) {
    return { status: 0, message: `the server stopped (${forwardedSignal})`, deliberate: true };
  }
  if (end.signal !== null) {
    const status = signalExitStatus(end.signal);
    return { status, message: `the server was killed by ${end.signal}; exiting with status ${status}`, deliberate: false };
  }
  const code = end.code ?? 1;
  return { status: code, message: `the server exited with code ${code}`, deliberate: false };
}

export interface ServerSupervision {
  /** Passes a stop signal on to the server; its end then counts as deliberate. */
  stop(signal: NodeJS.Signals): void;
}

/**
 * Follows the server child: when it ends, logs how (errors on stderr) and calls
 * `exit` with launcherExitStatus's status.
 */
export function superviseServer(
  server: ChildProcess,
  options: { log: (line: string) => void; logError: (line: string) => void; exit: (status: number) => void },
): ServerSupervision {
  let forwardedSignal: NodeJS.Signals | null = null;
  server.on("exit", (code, signal) => {
    const end = launcherExitStatus({ code, signal }, forwardedSignal);
    (end.deliberate ? options.log : options.logError)(end.message);
    options.exit(end.status);
  });
  return {
    stop(signal) {
      forwardedSignal = signal;
      server.kill(signal);
    },
  };
}
