"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { EChart } from "./components/echart";
import { formatMoney } from "./components/format";
import { formatUnitCost, perLabel, topModelUnitCosts, unitLabel, type ModelUnitCost } from "./components/unit-cost-figures";
import { unitCostQueries } from "./overview-windows";
import { useTRPC } from "./trpc/client";

const TOP_MODELS = 5;

/**
 * Hardware ROI as leaders read it: what the top models paid for a million
 * tokens or a thousand requests served and a million samples trained, and how
 * that moved over the window.
 */
export function OverviewUnitCosts({ window }: { window: string }) {
  const trpc = useTRPC();
  const unitCosts = useQuery(trpc.unitCosts.get.queryOptions(unitCostQueries(window).byModelOverTime));
  if (unitCosts.isPending) return <p className="status">Loading cost per unit of work…</p>;
  if (unitCosts.isError) return <p className="status error">Could not load cost per unit of work: {unitCosts.error.message}</p>;
  const { rows, currency } = unitCosts.data;
  const panels = [
    { title: "Serving: cost per 1M generated tokens", unit: "generation_tokens" },
    { title: "Serving: cost per 1M prompt tokens", unit: "prompt_tokens" },
    // Services that count requests but no tokens (recommenders, rankers, encoders) show here.
    { title: "Serving: cost per 1k requests", unit: "requests" },
    { title: "Training: cost per 1M samples", unit: "samples" },
  ].map((panel) => ({ ...panel, models: topModelUnitCosts(rows, panel.unit, TOP_MODELS) }));

  return (
    <section className="panel" aria-label="Cost per unit of work">
      <h2>Cost per unit of work</h2>
      <p className="hint">
        Allocated cost of the jobs that counted the work, divided by the work (idle shown apart); top {TOP_MODELS} models by cost, per{" "}
        {window === "24h" ? "hour" : "day"}. Formulas in docs/api.md (GET /api/v1/unit-costs).
      </p>
      {panels.every((panel) => panel.models.length === 0) ? (
        <p className="status">No job reported tokens, requests or samples in this window.</p>
      ) : (
        panels
          .filter((panel) => panel.models.length > 0)
          .map((panel) => <UnitCostPanel key={panel.unit} title={panel.title} models={panel.models} currency={currency} window={window} />)
      )}
    </section>
  );
}

function UnitCostPanel({ title, models, currency, window }: { title: string; models: ModelUnitCost[]; currency: string | null; window: string }) {
  const option = {
    grid: { left: 64, right: 24, top: 32, bottom: 32 },
    legend: { type: "scroll", top: 0 },
    tooltip: { trigger: "axis", valueFormatter: (value: number | null) => (value === null || value === undefined ? "n/a" : formatUnitCost(value, currency)) },
    xAxis: { type: "time" },
    yAxis: { type: "value", min: 0 },
    series: models.map((entry) => ({
      name: entry.model,
      type: "line",
      showSymbol: true,
      connectNulls: false,
      data: entry.points.map((point) => [point.startMs, point.costPerUnits]),
    })),
  };
  return (
    <div className="unit-cost-panel">
      <h3>{title}</h3>
      <table className="data-table">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="numeric">
              {perLabel(models[0].per)} {unitLabel(models[0].unit)}, {window}
            </th>
            <th scope="col" className="numeric">Cost of the measured jobs</th>
          </tr>
        </thead>
        <tbody>
          {models.map((entry) => (
            <tr key={entry.model}>
              <td>
                <Link href={`/models/${encodeURIComponent(entry.model)}?window=${window}`}>{entry.model}</Link>
              </td>
              <td className="numeric">{entry.costPerUnits === null ? "n/a" : formatUnitCost(entry.costPerUnits, currency)}</td>
              <td className="numeric">{formatMoney(entry.cost, currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <EChart option={option} height={220} ariaLabel={`${title}, top models over time`} />
    </div>
  );
}
