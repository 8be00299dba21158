/** Display formats: every figure carries its unit. */
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatPct(value: number | null): string {
  return value === null ? "n/a" : `${oneDecimal.format(value)} %`;
}

export function formatGpuHours(value: number): string {
  return `${value >= 100 ? integer.format(value) : oneDecimal.format(value)} GPU-h`;
}

export function formatMiB(value: number | null): string {
  if (value === null) return "n/a";
  return value >= 1024 ? `${oneDecimal.format(value / 1024)} GiB` : `${integer.format(value)} MiB`;
}

export function formatUtcDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** A duration as the largest whole unit: "15 minutes", "6 hours", "1 day". */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const count = ms / size;
      return `${count} ${name}${count === 1 ? "" : "s"}`;
    }
  }
  return `${Math.round(ms / 1000)} seconds`;
}
