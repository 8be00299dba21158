"use client";

import { useQuery } from "@tanstack/react-query";
import { formatGpuHours, formatMoney } from "../../components/format";
import { Stat } from "../../components/stat";
import { formatUnitCost, perLabel, unitLabel } from "../../components/unit-cost-figures";
import { useTRPC } from "../../trpc/client";
import { modelUnitCostQueries } from "./model-unit-cost-queries";

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A model's training cost to date beside its serving cost per 1M tokens and per 1k requests, and its measured throughput per GPU model. */
export function ModelUnitCosts({ model, window }: { model: string; window: string }) {
  const trpc = useTRPC();
  const queries = modelUnitCostQueries(window);
  const byGpuModel = useQuery(trpc.unitCosts.get.queryOptions(queries.byGpuModel));
  const training = useQuery(trpc.unitCosts.get.queryOptions(queries.trainingToDate));
  if (byGpuModel.isPending || training.isPending) return <p className="status">Loading cost per unit of work…</p>;
  if (byGpuModel.isError) return <p className="status error">Could not load cost per unit of work: {byGpuModel.error.message}</p>;
  if (training.isError) return <p className="status error">Could not load the training cost to date: {training.error.message}</p>;

  const currency = byGpuModel.data.currency;
  const rows = byGpuModel.data.rows.filter((row) => row.properties.model === model);
  const trained = training.data.rows.find((row) => row.properties.model === model);
  const serving = (unit: string, per = 1_000_000) => {
    const ofUnit = rows.filter((row) => row.unit === unit);
    const cost = ofUnit.reduce((sum, row) => sum + row.cost, 0);
    const count = ofUnit.reduce((sum, row) => sum + row.count, 0);
    return count > 0 ? formatUnitCost((cost / count) * per, training.data.currency ?? currency) : "n/a";
  };

  return (
    <section className="panel" aria-label="Cost per unit of work">
      <h2>Cost per unit of work</h2>
      <section className="stat-grid">
        <Stat
          label="Training cost to date"
          value={trained ? formatMoney(trained.cost, training.data.currency) : "n/a"}
          detail={trained ? `${numberFormat.format(trained.count)} samples, ${formatUnitCost(trained.costPerUnits ?? 0, training.data.currency)} per 1M (jobs reporting samples, 400 days)` : "no job of this model reported samples"}
        />
        <Stat label={`Serving, per 1M generated tokens, ${window}`} value={serving("generation_tokens")} detail="allocated cost of the serving jobs / tokens" />
        <Stat label={`Serving, per 1M prompt tokens, ${window}`} value={serving("prompt_tokens")} detail="the same cost per prompt token (not additive)" />
        {/* Services that count requests but no tokens (rankers, encoders) have their serving figure here. */}
        <Stat label={`Serving, per 1k requests, ${window}`} value={serving("requests", 1_000)} detail="the same cost per request served (not additive)" />
      </section>
      <table className="data-table">
        <caption>Measured throughput per GPU model, {window}</caption>
        <thead>
          <tr>
            <th scope="col">GPU model</th>
            <th scope="col">Unit</th>
            <th scope="col" className="numeric">Work per GPU-hour</th>
            <th scope="col" className="numeric">GPU-hours</th>
            <th scope="col" className="numeric">Cost</th>
            <th scope="col" className="numeric">Cost per unit</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={6} className="empty">
                No job of {model} reported work in this window.
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={`${row.properties.gpuModel}-${row.unit}`}>
                <td>{row.properties.gpuModel}</td>
                <td>{unitLabel(row.unit)}</td>
                <td className="numeric">{row.workPerGpuHour === null ? "n/a" : numberFormat.format(row.workPerGpuHour)}</td>
                <td className="numeric">{formatGpuHours(row.gpuHours)}</td>
                <td className="numeric">{formatMoney(row.cost, currency)}</td>
                <td className="numeric">
                  {row.costPerUnits === null ? "n/a" : `${formatUnitCost(row.costPerUnits, currency)} ${perLabel(row.per)}`}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}
