"use client";

import { useMemo } from "react";
import { EChart } from "../components/echart";
import { escapeHtml } from "../components/escape-html";
import { formatMoney, formatUtcDate } from "../components/format";
import { budgetChartSeries, type BudgetSeriesInput } from "./budget-chart-series";

/** One budget's period: spend so far, the forecast to the period's end with its 80 % band, and the budget line. */
export function BudgetChart({ status, budgetAmount, periodEndMs, currency, title }: { status: BudgetSeriesInput; budgetAmount: number; periodEndMs: number; currency: string; title: string }) {
  const option = useMemo(() => {
    const series = budgetChartSeries(status);
    const line = (name: string, data: [number, number][], extra: Record<string, unknown> = {}) => ({ name, type: "line", showSymbol: false, data, ...extra });
    return {
      grid: { left: 80, right: 24, top: 40, bottom: 32 },
      legend: { top: 0, data: ["Spent", "Forecast", "80 % interval", "Budget"] },
      tooltip: {
        trigger: "axis",
        formatter: (params: { seriesName: string; value: [number, number] }[]) => {
          const shown = params.filter((param) => param.seriesName !== "band-low");
          const lines = shown.map((param) => {
            if (param.seriesName !== "80 % interval") return `${escapeHtml(param.seriesName)}: <b>${formatMoney(param.value[1], currency)}</b>`;
            const low = params.find((candidate) => candidate.seriesName === "band-low")?.value[1] ?? 0;
            return `80 % interval: ${formatMoney(low, currency)} – ${formatMoney(low + param.value[1], currency)}`;
          });
          return [escapeHtml(formatUtcDate(params[0]?.value[0] ?? 0)), ...lines].join("<br/>");
        },
      },
      xAxis: { type: "time" },
      yAxis: { type: "value", axisLabel: { formatter: (value: number) => formatMoney(value, currency).replace(/\.00$/, "") } },
      series: [
        line("Spent", series.actual, { lineStyle: { width: 2 } }),
        line("Forecast", series.forecast, { lineStyle: { type: "dashed" } }),
        line("band-low", series.bandLow, { stack: "band", lineStyle: { opacity: 0 }, tooltip: { show: false } }),
        line("80 % interval", series.bandWidth, { stack: "band", lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.25 } }),
        line("Budget", [
          [status.periodStartMs, budgetAmount],
          [periodEndMs, budgetAmount],
        ], { lineStyle: { type: "dotted", width: 2 } }),
      ],
    };
  }, [status, budgetAmount, periodEndMs, currency]);
  return <EChart option={option} height={300} ariaLabel={title} />;
}
