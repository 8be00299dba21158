/**
 * Runs the GPU tools through one long-lived /bin/sh instead of a new process
 * from Node at every poll.
 *
 * Why: Node starts a child by forking itself, and forking a 50 MiB process costs
 * it 5-10 ms of CPU (page tables, pipes, stream objects); two nvidia-smi calls a
 * second would alone be about 1 % of a core, twice the collector's budget. A
 * shell forks nvidia-smi for a fraction of that, and Node only writes a line and
 * reads the answer. Each command's output ends with a marker line carrying its
 * exit status; a command that fails gives its stderr in the error, as execFile
 * does. A command that outlives its timeout (a hung driver) or is aborted
 * takes the shell with it: the next command starts a new one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type { CommandRunner } from "./run-nvidia-smi";

/** 'it'\''s': one shell word whatever the argument holds. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

interface Pending {
  marker: string;
  resolve: (stdout: string) => void;
  reject: (error: Error) => void;
  label: string;
}

export class ShellRunner {
  private shell: ChildProcess | null = null;
  private stdout = "";
  private stderr = "";
  private pending: Pending | null = null;
  /** Commands wait for the one before them: the shell runs one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly shellPath = "/bin/sh") {}

  /** A CommandRunner (as execFileRunner) that goes through this shell. */
  readonly run: CommandRunner = (file, args, options) => {
    const result = this.queue.then(() => this.runNow(file, args, options));
    this.queue = result.catch(() => undefined);
    return result;
  };

  /** Ends the shell (the collector's shutdown; tests). */
  close(): void {
    this.kill(new Error("shell runner closed"));
  }

  private start(): ChildProcess {
    // Its own process group, so a timeout kills the hung tool with the shell.
    const shell = spawn(this.shellPath, [], { stdio: ["pipe", "pipe", "pipe"], detached: true });
    shell.stdout?.setEncoding("utf8");
    shell.stderr?.setEncoding("utf8");
    // Output of a shell already given up (killed at a timeout) must not mix into its successor's.
    shell.stdout?.on("data", (chunk: string) => {
      if (this.shell !== shell) return;
      this.stdout += chunk;
      this.settle();
    });
    shell.stderr?.on("data", (chunk: string) => {
      if (this.shell !== shell) return;
      // Only the current command's stderr matters; keep its tail.
      this.stderr = (this.stderr + chunk).slice(-4096);
    });
    shell.on("error", (error) => {
      if (this.shell === shell) this.kill(error);
    });
    // A shell that died between two commands makes the next write fail (EPIPE): that command fails, the one after starts a new shell.
    shell.stdin?.on("error", (error) => {
      if (this.shell === shell) this.kill(error);
    });
    shell.on("exit", () => {
      if (this.shell === shell) this.kill(new Error(`${this.shellPath} exited`));
    });
    // Do not keep the collector alive for the shell's sake.
    shell.unref();
    for (const stream of [shell.stdin, shell.stdout, shell.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
    this.shell = shell;
    return shell;
  }

  private settle(): void {
    const pending = this.pending;
    if (!pending) return;
    const end = this.stdout.indexOf(`\n${pending.marker} `);
    if (end === -1) return;
    const lineEnd = this.stdout.indexOf("\n", end + 1 + pending.marker.length);
    if (lineEnd === -1) return;
    const status = Number(this.stdout.slice(end + 1 + pending.marker.length + 1, lineEnd));
    const output = this.stdout.slice(0, end);
    this.stdout = this.stdout.slice(lineEnd + 1);
    this.pending = null;
    if (status === 0) pending.resolve(output);
    else {
      // nvidia-smi prints some refusals ("... is not a valid field to query") on stdout.
      const said = (this.stderr.trim() || output.trim()).slice(0, 300);
      pending.reject(new Error(`${pending.label}: exit status ${status}${said ? ` (${said})` : ""}`));
    }
  }

  private kill(error: Error): void {
    const shell = this.shell;
    this.shell = null;
    this.stdout = "";
    if (shell && shell.exitCode === null && shell.pid !== undefined) {
      try {
        process.kill(-shell.pid, "SIGKILL");
      } catch {
        shell.kill("SIGKILL");
      }
    }
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }

  private runNow(file: string, args: readonly string[], options: { timeoutMs: number; signal?: AbortSignal }): Promise<string> {
    const label = `${file} ${args.join(" ")}`;
    if (options.signal?.aborted) return Promise.reject(new Error(`${label}: aborted`));
    const shell = this.shell ?? this.start();
    this.stderr = "";
    const marker = `__gpu_roi_${randomBytes(8).toString("hex")}__`;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => this.kill(new Error(`${label}: timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      const onAbort = () => this.kill(new Error(`${label}: aborted`));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      };
      this.pending = {
        marker,
        label,
        resolve: (stdout) => {
          done();
          resolve(stdout);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      // stdin from /dev/null: a tool that reads its input must not eat the next command.
      const line = `${[file, ...args].map(shellQuote).join(" ")} </dev/null; printf '\\n%s %d\\n' ${marker} $?\n`;
      shell.stdin?.write(line);
    });
  }
}

/**
 * The runner a GPU source uses unless told otherwise: a shell of its own where
 * /bin/sh exists (every image the collector ships in), else execFile.
 */
export function defaultCommandRunner(execFileFallback: CommandRunner, shellPath = "/bin/sh"): CommandRunner {
  return existsSync(shellPath) ? new ShellRunner(shellPath).run : execFileFallback;
}
