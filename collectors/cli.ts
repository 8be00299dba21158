/**
 * gpu-roi collector command line.
 *
 *   collector parse FILE [--fields=a,b,c]
 *     Reads a capture (nvidia-smi XML/CSV/-L output, dcgm-exporter /metrics text)
 *     and prints its GPU readings as JSON. --fields names the queried fields of
 *     CSV saved without a header.
 *
 * Exit codes: 0 success, 1 the file is not a readable capture, 2 usage error.
 * The parsing itself is in sources/parse-capture.ts; this file only does I/O.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { pathToFileURL } from "node:url";
import { parseCapture, summarizeCapture } from "./sources/parse-capture";
import { CaptureParseError } from "./sources/parse-values";

export const USAGE = "usage: collector parse FILE [--fields=FIELD,FIELD,...]";

export interface CliIo {
  readFile: (path: string) => string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs the CLI with `args` (without node and script), returns the exit code. */
export function runCli(args: readonly string[], io: CliIo): number {
  const [command, ...rest] = args;
  if (command === "--help" || command === "-h" || command === "help") {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (command !== "parse") {
    io.stderr(`${command === undefined ? "no command given" : `unknown command ${JSON.stringify(command)}`}\n${USAGE}\n`);
    return 2;
  }
  const files = rest.filter((arg) => !arg.startsWith("--"));
  const options = rest.filter((arg) => arg.startsWith("--"));
  const unknown = options.filter((option) => !option.startsWith("--fields="));
  if (files.length !== 1 || unknown.length > 0) {
    io.stderr(`${unknown.length > 0 ? `unknown option ${unknown[0]}` : "parse takes exactly one FILE"}\n${USAGE}\n`);
    return 2;
  }
  const fieldsOption = options.find((option) => option.startsWith("--fields="));
  const fields = fieldsOption
    ?.slice("--fields=".length)
    .split(",")
    .map((field) => field.trim())
    .filter((field) => field !== "");

  const file = files[0];
  let text: string;
  try {
    text = io.readFile(file);
  } catch (error) {
    io.stderr(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  try {
    const capture = parseCapture(text, { source: basename(file), fields });
    io.stdout(`${JSON.stringify(summarizeCapture(capture), null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof CaptureParseError) {
      io.stderr(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * Text of a capture file's bytes. PowerShell 5 redirection (`nvidia-smi -q -x >
 * log.xml`) writes UTF-16 with a byte-order mark; everything else is UTF-8.
 */
export function decodeCaptureBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  return new TextDecoder("utf-8").decode(bytes);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.exitCode = runCli(process.argv.slice(2), {
    readFile: (path) => decodeCaptureBytes(readFileSync(path)),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
