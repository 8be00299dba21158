"use client";

import { IDLE_ROW_NAME, UNALLOCATED_VALUE } from "@/server/domain/allocation";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useCallback, useMemo, useState } from "react";
import type { AllocationOutputRow } from "@/server/api/allocation/allocation-output";
import { costFigureColumns, costFigureTotals, displayRowName } from "../components/cost-columns";
import { CostTrendChart } from "../components/cost-trend-chart";
import { DataGrid, type GridColumn } from "../components/data-grid";
import { formatGpuHours, formatMoney, formatRatioPct, formatUtcDateTime } from "../components/format";
import { Stat } from "../components/stat";
import { useTRPC } from "../trpc/client";
import { ChargebackDownload } from "./chargeback-download";
import {
  AGGREGATE_CHOICES,
  allocationInput,
  allocationSeriesInput,
  COST_WINDOWS,
  costQueryFrom,
  costQuerySearch,
  SHARE_IDLE_CHOICES,
  type CostQuery,
} from "./cost-query";

const FILTER_PATTERN = /^(cluster|node|gpu|team|project|model|experiment|job|user|label:[A-Za-z0-9_.\-/]{1,128}):.+$/;
const LABEL_KEY_PATTERN = /^label:[A-Za-z0-9_.\-/]{1,128}$/;

const SHARE_IDLE_TEXT: Record<(typeof SHARE_IDLE_CHOICES)[number], string> = {
  none: "shown as its own row",
  weighted: "shared by cost",
  even: "shared evenly per job",
};

/** The allocation API as a page: the query lives in the URL, so a view can be shared. */
export function CostExplorer({ chargebackMonths }: { chargebackMonths: readonly string[] }) {
  const trpc = useTRPC();
  const searchParams = useSearchParams();
  const query = useMemo(() => costQueryFrom(searchParams), [searchParams]);

  const setQuery = useCallback((next: CostQuery) => {
    // A shallow URL update: Next keeps useSearchParams in sync without a server round trip.
    window.history.replaceState(null, "", `/costs?${costQuerySearch(next)}`);
  }, []);

  const totals = useQuery({ ...trpc.allocation.get.queryOptions(allocationInput(query)), placeholderData: keepPreviousData });
  const series = useQuery({ ...trpc.allocation.get.queryOptions(allocationSeriesInput(query)), placeholderData: keepPreviousData });

  const data = totals.data;
  const currency = data?.currency ?? null;

  const columns = useMemo<GridColumn<AllocationOutputRow>[]>(() => {
    const keyColumns: GridColumn<AllocationOutputRow>[] =
      query.aggregate.length > 1
        ? query.aggregate.map((key) => ({
            id: `key:${key}`,
            header: key,
            value: (row) => row.properties[key] ?? (row.name === IDLE_ROW_NAME ? "idle" : ""),
            filterable: true,
          }))
        : [
            {
              id: "name",
              header: query.aggregate[0] ?? "name",
              value: (row) => row.name,
              display: (row) => <RowName row={row} aggregate={query.aggregate} window={query.window} />,
              filterable: true,
            },
          ];
    return [...keyColumns, ...costFigureColumns<AllocationOutputRow>(currency)];
  }, [query.aggregate, query.window, currency]);

  const points = useMemo(
    () => (series.data?.rows ?? []).map((row) => ({ name: row.name, startMs: Date.parse(row.start), totalCost: row.totalCost })),
    [series.data],
  );

  const refreshing = (totals.isFetching && totals.isPlaceholderData) || (series.isFetching && series.isPlaceholderData);

  return (
    <main>
      <header className="page-header">
        <h1>Cost explorer</h1>
        <nav aria-label="Time window" className="window-picker">
          {COST_WINDOWS.map((option) => (
            <button
              key={option}
              type="button"
              aria-current={option === query.window ? "page" : undefined}
              onClick={() => setQuery({ ...query, window: option })}
            >
              {option}
            </button>
          ))}
        </nav>
      </header>

      <QueryControls query={query} setQuery={setQuery} />

      {totals.isPending && <p className="status">Loading costs…</p>}
      {totals.isError && <p className="status error">Could not load costs: {totals.error.message}</p>}
      {data && (
        <>
          {data.unpricedGpuModels.length > 0 && (
            <p className="status warning">
              No price for {data.unpricedGpuModels.join(", ")}: GPU-hours on {data.unpricedGpuModels.length === 1 ? "it" : "them"} cost
              nothing here. Add prices in <Link href="/settings">Settings</Link>.
            </p>
          )}
          <section className="stat-grid" aria-label="Cost summary">
            <Stat
              label={`Total cost, ${query.window}${query.filters.length > 0 ? " (filtered)" : ""}`}
              value={formatMoney(data.totals.totalCost, currency)}
              detail={`of ${formatMoney(data.fleetCost, currency)} for the whole fleet`}
            />
            <Stat label="GPU-hours" value={formatGpuHours(data.totals.gpuHours)} detail={`${formatGpuHours(data.totals.activeGpuHours)} busy`} />
            <Stat label="Efficiency" value={formatRatioPct(data.totals.efficiency)} detail="busy GPU-hours / allocated GPU-hours" />
            <Stat label="Waste cost" value={formatMoney(data.totals.wasteCost, currency)} detail={`idle ${SHARE_IDLE_TEXT[query.shareIdle]}`} />
          </section>

          <section className="panel" aria-busy={refreshing}>
            <h2>Total cost per {query.window === "24h" ? "hour" : "day"}</h2>
            <p className="hint">
              {data.window.start.slice(0, 16).replace("T", " ")} to {formatUtcDateTime(Date.parse(data.window.end))}; the 8 most expensive{" "}
              {query.aggregate.length === 0 ? "rows" : query.aggregate.join(" / ")} stacked, the rest in &quot;other&quot;.
            </p>
            {series.isError ? (
              <p className="status error">Could not load the cost over time: {series.error.message}</p>
            ) : points.length === 0 ? (
              <p className="status">{series.isPending ? "Loading the cost over time…" : "No cost in this window."}</p>
            ) : (
              <CostTrendChart
                points={points}
                currency={series.data?.currency ?? currency}
                stepMs={query.window === "24h" ? 3_600_000 : 86_400_000}
                ariaLabel="Total cost over time, stacked by row"
              />
            )}
          </section>

          <section className="panel" aria-busy={refreshing}>
            <DataGrid
              // A new aggregation is a new table: sorting and filters of the old columns do not apply.
              key={query.aggregate.join(",")}
              rows={data.rows}
              columns={columns}
              caption={
                <>
                  Cost by {query.aggregate.length === 0 ? "everything" : query.aggregate.join(", ")}
                  {refreshing && <span className="hint"> — updating…</span>}
                </>
              }
              initialSort={[{ id: "totalCost", desc: true }]}
              totals={(visible) => costFigureTotals(visible, currency, `Total (${visible.length} rows)`)}
              csvFileName={`gpu-roi-costs-${query.window}-${query.aggregate.join("_") || "all"}.csv`}
              emptyText={
                data.unpricedGpuModels.length > 0 && data.totals.gpuHours === 0
                  ? "No priced GPU time in this window."
                  : "No GPU time in this window matches the query."
              }
              rowKey={(row) => row.name}
            />
          </section>
        </>
      )}
      <ChargebackDownload months={chargebackMonths} />
    </main>
  );
}

function RowName({ row, aggregate, window }: { row: AllocationOutputRow; aggregate: string[]; window: string }) {
  const key = aggregate[0];
  // Experiments and models have their own pages.
  if (key === "experiment" && row.name !== IDLE_ROW_NAME && row.name !== UNALLOCATED_VALUE) {
    return <Link href={`/experiments/${encodeURIComponent(row.name)}?window=${window}`}>{row.name}</Link>;
  }
  if (key === "model" && row.name !== IDLE_ROW_NAME && row.name !== UNALLOCATED_VALUE) {
    return <Link href={`/models/${encodeURIComponent(row.name)}?window=${window}`}>{row.name}</Link>;
  }
  return <>{displayRowName(row.name)}</>;
}

function QueryControls({ query, setQuery }: { query: CostQuery; setQuery: (next: CostQuery) => void }) {
  const [labelKey, setLabelKey] = useState("");
  const [filterText, setFilterText] = useState("");
  const [filterError, setFilterError] = useState<string | null>(null);
  const labelKeys = query.aggregate.filter((key) => key.startsWith("label:"));

  function toggleAggregate(key: string) {
    const aggregate = query.aggregate.includes(key) ? query.aggregate.filter((k) => k !== key) : [...query.aggregate, key].slice(0, 5);
    setQuery({ ...query, aggregate });
  }

  function addLabel() {
    const key = `label:${labelKey.trim().replace(/^label:/, "")}`;
    if (!LABEL_KEY_PATTERN.test(key) || query.aggregate.includes(key) || query.aggregate.length >= 5) return;
    setQuery({ ...query, aggregate: [...query.aggregate, key] });
    setLabelKey("");
  }

  function addFilter() {
    const text = filterText.trim();
    if (!FILTER_PATTERN.test(text) || text.includes(",") || (text.startsWith("label:") && text.split(":").length < 3)) {
      setFilterError("Write KEY:VALUE (team:search, model:llama-70b) or label:NAME:VALUE");
      return;
    }
    setFilterError(null);
    if (!query.filters.includes(text)) setQuery({ ...query, filters: [...query.filters, text] });
    setFilterText("");
  }

  return (
    <section className="panel query-controls" aria-label="Query">
      <div className="control-row">
        <span className="control-label">Aggregate by</span>
        <div className="chips">
          {AGGREGATE_CHOICES.map((key) => {
            const position = query.aggregate.indexOf(key);
            return (
              <button key={key} type="button" className="chip" aria-pressed={position >= 0} onClick={() => toggleAggregate(key)}>
                {position >= 0 && query.aggregate.length > 1 ? `${position + 1}. ` : ""}
                {key}
              </button>
            );
          })}
          {labelKeys.map((key) => (
            <button key={key} type="button" className="chip" aria-pressed onClick={() => toggleAggregate(key)} title="Remove">
              {key} ×
            </button>
          ))}
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              addLabel();
            }}
          >
            <input aria-label="Label key to aggregate by" placeholder="label:KEY" value={labelKey} onChange={(event) => setLabelKey(event.target.value)} size={12} />
            <button type="submit" className="button">
              Add
            </button>
          </form>
        </div>
      </div>

      <div className="control-row">
        <span className="control-label">Filters</span>
        <div className="chips">
          {query.filters.map((filter) => (
            <button
              key={filter}
              type="button"
              className="chip filter-chip"
              title="Remove this filter"
              onClick={() => setQuery({ ...query, filters: query.filters.filter((f) => f !== filter) })}
            >
              {filter} ×
            </button>
          ))}
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              addFilter();
            }}
          >
            <input
              aria-label="Filter KEY:VALUE"
              placeholder="team:search"
              value={filterText}
              onChange={(event) => setFilterText(event.target.value)}
              size={20}
            />
            <button type="submit" className="button">
              Add filter
            </button>
          </form>
          {filterError && <span className="status error">{filterError}</span>}
          {query.filters.length > 1 && <span className="hint">same key: any of; different keys: all of</span>}
        </div>
      </div>

      <div className="control-row">
        <label>
          <span className="control-label">Idle cost</span>
          <select value={query.shareIdle} onChange={(event) => setQuery({ ...query, shareIdle: event.target.value as CostQuery["shareIdle"] })}>
            {SHARE_IDLE_CHOICES.map((choice) => (
              <option key={choice} value={choice}>
                {choice}: {SHARE_IDLE_TEXT[choice]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="control-label">settled by</span>
          <select value={query.idleBy} onChange={(event) => setQuery({ ...query, idleBy: event.target.value as CostQuery["idleBy"] })}>
            <option value="cluster">cluster</option>
            <option value="node">node</option>
          </select>
        </label>
        <label>
          <span className="control-label">Basis</span>
          <select value={query.basis} onChange={(event) => setQuery({ ...query, basis: event.target.value as CostQuery["basis"] })}>
            <option value="allocation">allocation: GPUs held</option>
            <option value="usage">usage: GPUs busy</option>
          </select>
        </label>
        <a className="hint api-link" href={`/api/v1/allocation?${costQuerySearch(query)}`}>
          same query as API
        </a>
      </div>
    </section>
  );
}
