/**
 * Text for POSIX sh scripts that people review and run (exported plans). Every
 * value that came from a node or a workload (job ids, pod names, hostnames,
 * cluster names, GPU models) is untrusted: in a command it is one single-quoted
 * argument, in a comment it is kept on the comment's line. Pure.
 */

/**
 * `value` as one sh word: single-quoted, a `'` inside written as `'\''`. Inside
 * single quotes sh expands nothing (`$(...)`, backticks, `;`, newlines are text).
 */
export function shellQuote(value: string): string {
  // An argument cannot hold NUL: sh would cut the word there.
  if (value.includes("\u0000")) throw new RangeError("a shell argument cannot contain NUL (\\u0000)");
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/** Control characters and Unicode line separators: never inside a command line, escaped in a comment. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Whether `value` can go into a command line: it has no control character. A
 * quoted newline would be correct sh, but the command would then span lines, and
 * a reviewer copying one line would copy a different command.
 */
export function fitsOnOneLine(value: string): boolean {
  return !UNPRINTABLE.test(value);
}

const ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `value` made safe for the inside of a `#` comment: control characters (a
 * newline would end the comment and start a command) and Unicode line and
 * paragraph separators are written as visible escapes (`\n`, `\u2028`).
 */
export function commentText(value: string): string {
  return value.replace(new RegExp(UNPRINTABLE.source, "g"), (character) => ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A comment line; untrusted parts go through `commentText` here, whatever the caller passes. */
export function commentLine(text: string): string {
  return `# ${commentText(text)}`;
}

/** A name inside a comment, quoted so that where it starts and ends shows: `'east'`. */
export function quotedName(value: string): string {
  return `'${commentText(value).replace(/'/g, "\\'")}'`;
}

/**
 * A command line from a template: the literal text is the caller's own, every
 * interpolated value is quoted (`shellCommand\`kubectl cordon ${host}\``), so none
 * can be left unquoted by mistake. Numbers must be finite and are written as they
 * are; a string must fit on one line (check `fitsOnOneLine` first).
 */
export function shellCommand(literals: TemplateStringsArray, ...values: readonly (string | number)[]): string {
  return literals.reduce((line, literal, i) => {
    if (i === 0) return literal;
    const value = values[i - 1];
    if (typeof value === "number" && !Number.isFinite(value)) throw new RangeError(`a number in a shell command must be finite, got ${value}`);
    if (typeof value === "string" && !fitsOnOneLine(value)) throw new RangeError("a value in a shell command must not contain control characters or line separators");
    return line + (typeof value === "number" ? String(value) : shellQuote(value)) + literal;
  }, "");
}
