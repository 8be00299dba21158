"use client";

import { IDLE_ROW_NAME } from "@/server/domain/allocation";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { costFigureColumns, displayRowName } from "./components/cost-columns";
import { CostTrendChart } from "./components/cost-trend-chart";
import { DataGrid, type GridColumn } from "./components/data-grid";
import { formatGpuHours, formatMoney, formatRatioPct } from "./components/format";
import { Stat } from "./components/stat";
import { spendQueries } from "./overview-windows";
import { useTRPC } from "./trpc/client";
import type { AllocationOutputRow } from "@/server/api/allocation/allocation-output";

type ModelRow = AllocationOutputRow;

/**
 * What leadership asks first: what the fleet cost, what a useful GPU-hour cost,
 * how much went to idle, what each model cost, and what the optimizer found.
 */
export function OverviewSpend({ window }: { window: string }) {
  const trpc = useTRPC();
  const queries = spendQueries(window);
  const byModel = useQuery(trpc.allocation.get.queryOptions(queries.byModel));
  const byTeam = useQuery(trpc.allocation.get.queryOptions(queries.byTeamOverTime));
  const open = useQuery(trpc.recommendations.summary.queryOptions({ state: "open" }));
  const plan = useQuery(trpc.recommendations.fleetPlan.queryOptions());

  if (byModel.isPending) return <p className="status">Loading spend…</p>;
  if (byModel.isError) return <p className="status error">Could not load spend: {byModel.error.message}</p>;
  const allocation = byModel.data;
  const currency = allocation.currency;
  const idleCost = allocation.rows.filter((row) => row.name === IDLE_ROW_NAME).reduce((sum, row) => sum + row.totalCost, 0);
  const activeGpuHours = allocation.totals.activeGpuHours;
  const models: ModelRow[] = allocation.rows.filter((row) => row.name !== IDLE_ROW_NAME);
  const saving = plan.data?.saving ?? null;
  const planCurrency = plan.data?.currency ?? currency;
  const modelColumns: GridColumn<ModelRow>[] = [
    { id: "name", header: "Model", value: (row) => displayRowName(row.name), display: (row) => (row.name.startsWith("__") ? displayRowName(row.name) : <Link href={`/models/${encodeURIComponent(row.name)}`}>{row.name}</Link>) },
    ...costFigureColumns<ModelRow>(currency).filter((column) => ["totalCost", "gpuHours", "efficiency", "wasteCost"].includes(column.id)),
  ];

  return (
    <>
      {allocation.unpricedGpuModels.length > 0 && (
        <p className="status error">No price for {allocation.unpricedGpuModels.join(", ")}: their GPUs are left out of every cost. Add prices on the settings page.</p>
      )}
      <section className="stat-grid" aria-label="Spend">
        <Stat label={`Spend, ${window}`} value={formatMoney(allocation.fleetCost, currency)} detail={`${formatMoney(idleCost, currency)} idle (${formatRatioPct(allocation.fleetCost > 0 ? idleCost / allocation.fleetCost : null)})`} />
        <Stat
          label="Cost per useful GPU-hour"
          value={activeGpuHours > 0 ? formatMoney(allocation.fleetCost / activeGpuHours, currency) : "n/a"}
          detail="spend / busy GPU-hours"
        />
        <Stat
          label="Allocated / busy"
          value={`${formatRatioPct(allocation.fleetGpuHours > 0 ? allocation.totals.gpuHours / allocation.fleetGpuHours : null)} / ${formatRatioPct(allocation.fleetGpuHours > 0 ? activeGpuHours / allocation.fleetGpuHours : null)}`}
          detail="of the fleet's GPU-hours held by jobs / kept busy"
        />
        <Stat
          label="Plan: cash saving"
          value={saving ? `${formatMoney(saving.cashPerMonth, planCurrency)}/month` : "n/a"}
          detail={saving ? `rented GPUs freed; ${open.data?.count ?? 0} open recommendations` : "run the optimizer to get a plan"}
        />
        <Stat
          label="Plan: capacity freed"
          value={saving ? `${formatGpuHours(saving.capacityFreedGpuHoursPerMonth)}/month` : "n/a"}
          detail={
            saving
              ? `owned GPUs freed, not cash${saving.rentEquivalentPerMonth !== null ? `; ${formatMoney(saving.rentEquivalentPerMonth, planCurrency)}/month at a cloud rate` : ""}`
              : "owned GPUs the plan frees"
          }
        />
      </section>

      <section className="panel">
        <h2>Spend by team</h2>
        <p className="hint">
          Total cost per {window === "24h" ? "hour" : "day"}, idle included as its own series. <Link href={`/costs?window=${window}&aggregate=team`}>Explore costs</Link>
        </p>
        {byTeam.data ? (
          <CostTrendChart
            points={byTeam.data.rows.map((row) => ({ name: row.name, startMs: Date.parse(row.start), totalCost: row.totalCost }))}
            currency={byTeam.data.currency}
            stepMs={window === "24h" ? 3_600_000 : 86_400_000}
            ariaLabel="Spend by team over time"
          />
        ) : (
          <p className="status">Loading…</p>
        )}
      </section>

      <section className="panel">
        <DataGrid rows={models} columns={modelColumns} caption="Cost per model" emptyText="No job named a model in this window." rowKey={(row) => row.name} initialSort={[{ id: "totalCost", desc: true }]} />
      </section>
    </>
  );
}
