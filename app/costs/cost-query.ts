/**
 * The cost explorer's query as it lives in the URL. Shared by the server page
 * (prefetch) and the client explorer so both build the same tRPC input, and so
 * the same query key: the prefetched data is then used as is.
 */

export const COST_WINDOWS = ["24h", "7d", "30d", "month", "lastmonth"] as const;
export const AGGREGATE_CHOICES = ["cluster", "node", "gpu", "team", "project", "model", "experiment", "job", "user"] as const;
export const SHARE_IDLE_CHOICES = ["none", "weighted", "even"] as const;

export type CostWindow = (typeof COST_WINDOWS)[number];
export type ShareIdleChoice = (typeof SHARE_IDLE_CHOICES)[number];

export interface CostQuery {
  window: CostWindow;
  /** Aggregate keys in order: built-in keys and label:KEY. */
  aggregate: string[];
  /** KEY:VALUE filters (label:NAME:VALUE for labels). */
  filters: string[];
  shareIdle: ShareIdleChoice;
  idleBy: "cluster" | "node";
  basis: "allocation" | "usage";
}

export const DEFAULT_COST_QUERY: CostQuery = {
  window: "7d",
  aggregate: ["team"],
  filters: [],
  shareIdle: "none",
  idleBy: "cluster",
  basis: "allocation",
};

type Params = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function read(params: Params, name: string): string | undefined {
  if (typeof (params as { get?: unknown }).get === "function") return (params as { get(name: string): string | null }).get(name) ?? undefined;
  const value = (params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

function pick<T extends string>(value: string | undefined, choices: readonly T[], fallback: T): T {
  return choices.includes(value as T) ? (value as T) : fallback;
}

const LABEL_KEY = /^label:[A-Za-z0-9_.\-/]{1,128}$/;

/** Reads the query from URL search params; anything unknown falls back to the default. */
export function costQueryFrom(params: Params): CostQuery {
  const aggregateText = read(params, "aggregate");
  const aggregate =
    aggregateText === undefined
      ? DEFAULT_COST_QUERY.aggregate
      : aggregateText
          .split(",")
          .map((key) => key.trim())
          .filter((key) => (AGGREGATE_CHOICES as readonly string[]).includes(key) || LABEL_KEY.test(key))
          // The API takes at most 5 keys.
          .slice(0, 5);
  const filters = (read(params, "filter") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.includes(":"));
  return {
    window: pick(read(params, "window"), COST_WINDOWS, DEFAULT_COST_QUERY.window),
    aggregate: [...new Set(aggregate)],
    filters: [...new Set(filters)],
    shareIdle: pick(read(params, "shareIdle"), SHARE_IDLE_CHOICES, DEFAULT_COST_QUERY.shareIdle),
    idleBy: pick(read(params, "idleBy"), ["cluster", "node"] as const, DEFAULT_COST_QUERY.idleBy),
    basis: pick(read(params, "basis"), ["allocation", "usage"] as const, DEFAULT_COST_QUERY.basis),
  };
}

/** The query as URL search params (the API's own names, so a view's URL reads like an API call). */
export function costQuerySearch(query: CostQuery): string {
  const params = new URLSearchParams();
  params.set("window", query.window);
  params.set("aggregate", query.aggregate.join(","));
  if (query.filters.length > 0) params.set("filter", query.filters.join(","));
  params.set("basis", query.basis);
  params.set("shareIdle", query.shareIdle);
  if (query.idleBy !== "cluster") params.set("idleBy", query.idleBy);
  return params.toString();
}

/** Input of allocation.get for the table: totals over the window. */
export function allocationInput(query: CostQuery) {
  return {
    window: query.window,
    aggregate: query.aggregate.join(","),
    basis: query.basis,
    shareIdle: query.shareIdle,
    idleBy: query.idleBy,
    filter: query.filters.join(","),
    accumulate: true,
  };
}

/** Input of allocation.get for the chart: the same rows per step (hours for a day, days otherwise). */
export function allocationSeriesInput(query: CostQuery) {
  return { ...allocationInput(query), accumulate: false, step: query.window === "24h" ? ("1h" as const) : ("1d" as const) };
}
