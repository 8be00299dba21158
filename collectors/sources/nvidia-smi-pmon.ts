/**
 * Parses `nvidia-smi pmon -c N -s u`: per-process SM utilization, the one
 * per-process utilization nvidia-smi gives without accounting mode. It is what
 * lets the server split a shared GPU's cost by utilization rather than memory.
 *
 *   # gpu         pid   type     sm    mem    enc    dec    jpg    ofa    command
 *   # Idx           #    C/G      %      %      %      %      %      %    name
 *       0      21180     C     37     12      -      -      -      -    python
 *
 * "-" means not sampled (absent, not zero). Several samples of a process are
 * averaged over the samples that have a value.
 */
import { CaptureParseError } from "./parse-values";

/** Key of a process on a GPU: `${gpuIndex}:${pid}`. */
export function pmonKey(gpuIndex: number, pid: number): string {
  return `${gpuIndex}:${pid}`;
}

export function parsePmon(text: string, source: string): Map<string, number | null> {
  const lines = text.split(/\r?\n/);
  const header = lines.find((line) => /^#\s*gpu\s+pid\s/i.test(line));
  if (!header) throw new CaptureParseError({ source, line: null, field: null }, "no pmon header line (# gpu pid type sm ...)");
  const columns = header.replace(/^#\s*/, "").trim().split(/\s+/).map((name) => name.toLowerCase());
  const gpuColumn = columns.indexOf("gpu");
  const pidColumn = columns.indexOf("pid");
  const smColumn = columns.indexOf("sm");
  if (smColumn < 0) throw new CaptureParseError({ source, line: null, field: "sm" }, "pmon output has no sm column (run it with -s u)");
  const sums = new Map<string, { total: number; samples: number }>();
  lines.forEach((line, index) => {
    if (line.trim() === "" || line.trimStart().startsWith("#")) return;
    const cells = line.trim().split(/\s+/);
    const location = { source, line: index + 1, field: "sm" };
    if (cells[pidColumn] === "-" || cells[pidColumn] === undefined) return; // a GPU with no process
    const gpuIndex = Number(cells[gpuColumn]);
    const pid = Number(cells[pidColumn]);
    if (!Number.isInteger(gpuIndex) || !Number.isInteger(pid)) {
      throw new CaptureParseError({ ...location, field: "gpu/pid" }, `"${cells[gpuColumn]} ${cells[pidColumn]}" is not a GPU index and pid`);
    }
    const key = pmonKey(gpuIndex, pid);
    const entry = sums.get(key) ?? { total: 0, samples: 0 };
    const raw = cells[smColumn];
    if (raw !== "-") {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0 || value > 100) throw new CaptureParseError(location, `"${raw}" is not a percentage`);
      entry.total += value;
      entry.samples += 1;
    }
    sums.set(key, entry);
  });
  return new Map([...sums].map(([key, { total, samples }]) => [key, samples > 0 ? total / samples : null]));
}
