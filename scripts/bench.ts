/**
 * npm run bench [-- NAME ...]: runs the benchmarks (all, or those named) and
 * rewrites docs/benchmarks.md with the machine, the commit and each section.
 * When only some run, the other sections keep their last figures.
 */
import { execSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchSection } from "../test/bench/bench-kit";
import { benchmarks } from "../test/bench/index";

const OUTPUT = path.join(process.cwd(), "docs", "benchmarks.md");
const SECTION_START = (name: string) => `<!-- bench:${name} -->`;
const SECTION_END = (name: string) => `<!-- /bench:${name} -->`;

function machine(): string {
  const cpus = os.cpus();
  const commit = (() => {
    try {
      return execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  })();
  return `${cpus.length} cores (${cpus[0]?.model ?? "unknown CPU"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node ${process.version}, ${os.platform()} ${os.release()}; commit ${commit}`;
}

function render(name: string, section: BenchSection, when: string): string {
  return [
    SECTION_START(name),
    `## ${section.title}`,
    "",
    `Command: \`${section.command}\`  `,
    `Machine: ${machine()}  `,
    `Measured: ${when}  `,
    `Data: ${section.data}`,
    "",
    section.body,
    SECTION_END(name),
  ].join("\n");
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !benchmarks.some((bench) => bench.name === name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(", ")}; known: ${benchmarks.map((bench) => bench.name).join(", ")}`);
  const selected = requested.length === 0 ? benchmarks : benchmarks.filter((bench) => requested.includes(bench.name));
  let document = fs.existsSync(OUTPUT)
    ? fs.readFileSync(OUTPUT, "utf8")
    : "# gpu-roi benchmarks\n\nWritten by `npm run bench` (each section by its own command). Machines here are noisy: compare ratios measured in the same run, not absolute numbers across runs.\n";
  for (const bench of selected) {
    const started = Date.now();
    const section = await bench.run((line) => console.log(line));
    const rendered = render(bench.name, section, `${new Date().toISOString()} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    const start = document.indexOf(SECTION_START(bench.name));
    const end = document.indexOf(SECTION_END(bench.name));
    document =
      start >= 0 && end > start
        ? document.slice(0, start) + rendered + document.slice(end + SECTION_END(bench.name).length)
        : `${document.trimEnd()}\n\n${rendered}\n`;
    fs.writeFileSync(OUTPUT, document);
    console.log(`bench: ${bench.name} written to docs/benchmarks.md`);
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
