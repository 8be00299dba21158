"use client";

import { useMemo } from "react";
import { EChart } from "../components/echart";
import { escapeHtml } from "../components/escape-html";
import { formatMoney } from "../components/format";

export interface PlanHourlySeries {
  gpusHeldToday: number[];
  gpusHeldPlan: number[];
  costPerHourToday: number[];
  costPerHourPlan: number[];
}

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** "Tue 14:00" for slot 38 (slot 0 = Monday 00:00 UTC). */
export function hourOfWeekLabel(slot: number): string {
  return `${DAYS[Math.floor(slot / 24)] ?? "?"} ${String(slot % 24).padStart(2, "0")}:00`;
}

interface TooltipParam {
  seriesName: string;
  value: number;
  marker: string;
  axisValueLabel: string;
}

/** GPUs held and cost per hour of the week, today against the plan (ECharts, two axes). */
export function PlanHourlyChart({ hourly, currency }: { hourly: PlanHourlySeries; currency: string | null }) {
  const option = useMemo(
    () => ({
      grid: { left: 56, right: 72, top: 40, bottom: 56 },
      legend: { top: 0 },
      tooltip: {
        trigger: "axis",
        formatter: (params: TooltipParam[]) =>
          [
            `${escapeHtml(params[0]?.axisValueLabel ?? "")} UTC`,
            ...params.map((p) => `${p.marker}${escapeHtml(p.seriesName)}: <b>${p.seriesName.startsWith("Cost") ? formatMoney(p.value, currency) : p.value.toFixed(1)}</b>`),
          ].join("<br/>"),
      },
      xAxis: { type: "category", data: hourly.gpusHeldToday.map((_, slot) => hourOfWeekLabel(slot)), axisLabel: { interval: 23 } },
      yAxis: [
        { type: "value", name: "GPUs held", min: 0 },
        { type: "value", name: `Cost per hour${currency ? ` (${currency})` : ""}`, min: 0 },
      ],
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      series: [
        { name: "GPUs held today", type: "line", step: "end", showSymbol: false, data: hourly.gpusHeldToday },
        { name: "GPUs held, plan", type: "line", step: "end", showSymbol: false, data: hourly.gpusHeldPlan },
        { name: "Cost per hour today", type: "line", yAxisIndex: 1, showSymbol: false, lineStyle: { type: "dashed" }, data: hourly.costPerHourToday },
        { name: "Cost per hour, plan", type: "line", yAxisIndex: 1, showSymbol: false, lineStyle: { type: "dashed" }, data: hourly.costPerHourPlan },
      ],
    }),
    [hourly, currency],
  );
  return <EChart option={option} height={320} ariaLabel="GPUs held and cost per hour of the week, today and under the plan" />;
}
