import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commentLine, commentText, fitsOnOneLine, shellCommand, shellQuote } from "../../../server/domain/shell-script";
import { SHELLS } from "../../support/stub-commands";

/** What sh makes of a script: its stdout (the script prints the words it was given, NUL-separated). */
function runSh(shell: string, script: string): string {
  const result = spawnSync(shell, ["-c", script], { encoding: "utf8", env: { NODE_ENV: "test", PATH: "/usr/bin:/bin" } });
  if (result.status !== 0) throw new Error(`${shell} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** Strings of any characters but NUL, weighted toward the ones sh treats specially. */
const shellText = fc
  .array(fc.oneof(fc.constantFrom("'", '"', "\\", "$", "`", "(", ")", ";", "&", "|", "\n", "\r", " ", "\t", "*", "?", "~", "#", "{", "}", "!", "\u2028"), fc.string({ unit: "grapheme", maxLength: 3 })), { maxLength: 12 })
  .map((parts) => parts.join("").replace(/\u0000/g, ""));

describe("shellQuote", () => {
  it.each(SHELLS)("gives %s back every string as one word, unexpanded", (shell) => {
    fc.assert(
      fc.property(fc.array(shellText, { minLength: 1, maxLength: 8 }), (values) => {
        const printed = runSh(shell, `printf '%s\\0' ${values.map(shellQuote).join(" ")}`);
        expect(printed.split("\0").slice(0, -1)).toEqual(values);
      }),
      { numRuns: 40 },
    );
  });

  it("writes a quote as '\\'' and refuses NUL", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(() => shellQuote("a\u0000b")).toThrow(RangeError);
  });
});

describe("commentLine", () => {
  it.each(SHELLS)("keeps any text inside one comment for %s: nothing after it runs", (shell) => {
    fc.assert(
      fc.property(shellText, (value) => {
        const line = commentLine(value);
        expect(fitsOnOneLine(line)).toBe(true);
        expect(runSh(shell, `${line}\nprintf ok`)).toBe("ok");
      }),
      { numRuns: 40 },
    );
  });

  it("shows line breaks and control characters as escapes", () => {
    expect(commentText("a\nb\r\tc\u0007\u2028")).toBe("a\\nb\\r\\tc\\u0007\\u2028");
    expect(commentLine("job 'x'; $(y)")).toBe("# job 'x'; $(y)");
  });
});

describe("shellCommand", () => {
  it("quotes every interpolated value and keeps the caller's words", () => {
    const host = "gpu-1; rm -rf /";
    expect(shellCommand`scontrol update NodeName=${host} State=DRAIN`).toBe("scontrol update NodeName='gpu-1; rm -rf /' State=DRAIN");
    expect(shellCommand`scontrol requeue ${1001}`).toBe("scontrol requeue 1001");
  });

  it("refuses a value that would make the command span lines, and a non-finite number", () => {
    expect(() => shellCommand`kubectl cordon ${"a\nb"}`).toThrow(RangeError);
    expect(() => shellCommand`kubectl cordon ${"a\u2028b"}`).toThrow(RangeError);
    expect(() => shellCommand`sleep ${Number.NaN}`).toThrow(RangeError);
  });
});
