/**
 * Shared helpers of `npm run bench`: every benchmark is a function returning a
 * section of docs/benchmarks.md. Figures are medians and p95 over repeated runs,
 * and ratios are measured side by side in the same run (these machines are noisy).
 */
export interface BenchSection {
  title: string;
  /** What to run to reproduce it alone. */
  command: string;
  /** The data it ran on (size, source). */
  data: string;
  /** Markdown: usually a table of figures. */
  body: string;
}

export interface Benchmark {
  name: string;
  run: (log: (line: string) => void) => Promise<BenchSection>;
}

export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index];
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}

/** Runs `work` `repeats` times after `warmups` untimed runs; returns each run's milliseconds. */
export async function timeRuns(work: () => Promise<unknown> | unknown, repeats: number, warmups = 1): Promise<number[]> {
  for (let i = 0; i < warmups; i++) await work();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples;
}

export function markdownTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}
