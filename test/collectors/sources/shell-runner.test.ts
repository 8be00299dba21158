import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCommandRunner, shellQuote, ShellRunner } from "../../../collectors/sources/shell-runner";
import type { CommandRunner } from "../../../collectors/sources/run-nvidia-smi";

describe("shellQuote", () => {
  it("makes one shell word of any argument", () => {
    expect(shellQuote("--query-gpu=index,uuid")).toBe("'--query-gpu=index,uuid'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});

describe("ShellRunner", () => {
  let dir: string;
  let tool: string;
  const runner = new ShellRunner();

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-shell-"));
    tool = path.join(dir, "fake-smi");
    // Prints its arguments one per line; "fail" exits 3 with a message on stderr, "hang" sleeps, "ask" reads stdin.
    fs.writeFileSync(
      tool,
      '#!/bin/sh\ncase "$1" in\n  fail) echo "Field \\"x\\" is not a valid field to query." >&2; exit 3 ;;\n  hang) sleep 30 ;;\n  ask) read answer; echo "got [$answer]" ;;\n  *) for a in "$@"; do echo "$a"; done ;;\nesac\n',
      { mode: 0o755 },
    );
  });

  afterAll(() => {
    runner.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs a command and gives its stdout, arguments passed as they are", async () => {
    expect(await runner.run(tool, ["--format=csv,noheader", "two words", "it's $HOME `x`"], { timeoutMs: 5000 })).toBe("--format=csv,noheader\ntwo words\nit's $HOME `x`\n");
  });

  it("runs many commands through one shell, in order", async () => {
    const outputs = await Promise.all([1, 2, 3, 4, 5].map((n) => runner.run(tool, [String(n)], { timeoutMs: 5000 })));
    expect(outputs).toEqual(["1\n", "2\n", "3\n", "4\n", "5\n"]);
  });

  it("rejects a failed command with its exit status and stderr, and keeps working", async () => {
    await expect(runner.run(tool, ["fail"], { timeoutMs: 5000 })).rejects.toThrow(/fake-smi fail: exit status 3 \(Field "x" is not a valid field to query\.\)/);
    expect(await runner.run(tool, ["after"], { timeoutMs: 5000 })).toBe("after\n");
  });

  it("gives a command no stdin, so it cannot read the next command", async () => {
    expect(await runner.run(tool, ["ask"], { timeoutMs: 5000 })).toBe("got []\n");
    expect(await runner.run(tool, ["next"], { timeoutMs: 5000 })).toBe("next\n");
  });

  it("kills a hung command at its timeout and starts a new shell for the next", async () => {
    const started = Date.now();
    await expect(runner.run(tool, ["hang"], { timeoutMs: 300 })).rejects.toThrow("timed out after 300 ms");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await runner.run(tool, ["alive"], { timeoutMs: 5000 })).toBe("alive\n");
  });

  it("stops a command when its signal aborts", async () => {
    const controller = new AbortController();
    const pending = runner.run(tool, ["hang"], { timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow("aborted");
    expect(await runner.run(tool, ["again"], { timeoutMs: 5000 })).toBe("again\n");
  });

  it("starts a new shell when the one it had died between commands", async () => {
    expect(await runner.run(tool, ["before"], { timeoutMs: 5000 })).toBe("before\n");
    // The shell exits on its own (as if killed from outside); the next command may fail, the one after works.
    await runner.run("sh", ["-c", "kill -9 $PPID"], { timeoutMs: 5000 }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await runner.run(tool, ["maybe"], { timeoutMs: 5000 }).catch(() => undefined);
    expect(await runner.run(tool, ["after"], { timeoutMs: 5000 })).toBe("after\n");
  });

  it("reports a missing tool as a failure", async () => {
    await expect(runner.run(path.join(dir, "no-such-smi"), [], { timeoutMs: 5000 })).rejects.toThrow(/exit status 127/);
  });
});

describe("defaultCommandRunner", () => {
  it("falls back to the given runner where there is no shell", async () => {
    const fallback: CommandRunner = async () => "from fallback";
    expect(await defaultCommandRunner(fallback, "/no/such/sh")("x", [], { timeoutMs: 1000 })).toBe("from fallback");
  });
});
