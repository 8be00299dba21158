"use client";

import { useMemo } from "react";
import { displayRowName } from "./cost-columns";
import { EChart } from "./echart";
import { escapeHtml } from "./escape-html";
import { formatMoney } from "./format";

export interface CostPoint {
  name: string;
  startMs: number;
  totalCost: number;
}

const OTHER = "other";

/** What ECharts hands an axis tooltip's formatter for each series at the hovered step. */
export interface CostTooltipParam {
  seriesName: string;
  value: number;
  /** ECharts' own colored dot (HTML it builds from the palette). */
  marker: string;
  axisValueLabel: string;
}

/**
 * The tooltip of one step, as the HTML ECharts shows: exact figures, largest
 * first, with the step's total. Series names are row names (teams, models,
 * experiments, nodes: chosen by workloads), so they are escaped.
 */
export function costTrendTooltip(params: CostTooltipParam[], currency: string | null): string {
  const list = [...params].filter((param) => param.value !== 0).sort((a, b) => b.value - a.value);
  const total = list.reduce((sum, param) => sum + param.value, 0);
  const lines = list.map((param) => `${param.marker}${escapeHtml(displayRowName(param.seriesName))}: <b>${formatMoney(param.value, currency)}</b>`);
  return [`${escapeHtml(params[0]?.axisValueLabel ?? "")} UTC — total <b>${formatMoney(total, currency)}</b>`, ...lines].join("<br/>");
}

function stepLabel(ms: number, stepMs: number): string {
  const iso = new Date(ms).toISOString();
  return stepMs < 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/**
 * Stacked bars of total cost per step: the `topCount` most expensive names
 * each get a series, the rest add up in "other" so the chart stays readable.
 */
export function CostTrendChart({
  points,
  currency,
  stepMs,
  topCount = 8,
  height = 320,
  ariaLabel,
}: {
  points: CostPoint[];
  currency: string | null;
  stepMs: number;
  topCount?: number;
  height?: number;
  ariaLabel: string;
}) {
  const option = useMemo(() => {
    const costByName = new Map<string, number>();
    for (const point of points) costByName.set(point.name, (costByName.get(point.name) ?? 0) + point.totalCost);
    const ranked = [...costByName.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
    // Exactly topCount + "other" would hide one name behind "other" for nothing.
    const shown = ranked.length <= topCount + 1 ? ranked : ranked.slice(0, topCount);
    const shownSet = new Set(shown);
    const hasOther = ranked.length > shown.length;
    const steps = [...new Set(points.map((point) => point.startMs))].sort((a, b) => a - b);
    const stepIndex = new Map(steps.map((ms, index) => [ms, index]));
    const seriesNames = hasOther ? [...shown, OTHER] : shown;
    const values = new Map(seriesNames.map((name) => [name, new Array<number>(steps.length).fill(0)]));
    for (const point of points) {
      const name = shownSet.has(point.name) ? point.name : OTHER;
      values.get(name)![stepIndex.get(point.startMs)!] += point.totalCost;
    }
    return {
      // Room at the bottom for the zoom slider only when there is one.
      grid: { left: 72, right: 24, top: 40, bottom: steps.length > 48 ? 64 : 28 },
      legend: { type: "scroll", top: 0, formatter: (name: string) => displayRowName(name) },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: (params: CostTooltipParam[]) => costTrendTooltip(params, currency),
      },
      xAxis: { type: "category", data: steps.map((ms) => stepLabel(ms, stepMs)) },
      yAxis: { type: "value", axisLabel: { formatter: (value: number) => formatMoney(value, currency).replace(/\.00$/, "") } },
      dataZoom: steps.length > 48 ? [{ type: "inside" }, { type: "slider", height: 20, bottom: 8 }] : [],
      series: seriesNames.map((name) => ({
        name,
        type: "bar",
        stack: "cost",
        emphasis: { focus: "series" },
        data: values.get(name)!.map((value) => Math.round(value * 100) / 100),
      })),
    };
  }, [points, currency, stepMs, topCount]);

  return <EChart option={option} height={height} ariaLabel={ariaLabel} />;
}
