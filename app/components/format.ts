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

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** Money with its currency ("$1,234.56"); without a price book currency, a bare figure marked as unpriced. */
export function formatMoney(value: number, currency: string | null): string {
  if (currency === null) return `${twoDecimals.format(value)} (no price)`;
  let format = moneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch {
      // A currency code Intl does not know still shows, as a suffix.
      return `${twoDecimals.format(value)} ${currency}`;
    }
    moneyFormats.set(currency, format);
  }
  return format.format(value);
}

const twoDecimals = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A 0..1 ratio (efficiency) as a percentage. */
export function formatRatioPct(ratio: number | null): string {
  return ratio === null ? "n/a" : `${oneDecimal.format(ratio * 100)} %`;
}

export function formatUtcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
