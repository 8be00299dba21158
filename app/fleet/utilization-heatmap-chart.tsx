"use client";

import { useMemo } from "react";
import type { HeatmapGpu, UtilizationHeatmap } from "@/server/services/fleet-service";
import { EChart } from "../components/echart";
import { escapeHtml } from "../components/escape-html";
import { formatMiB } from "../components/format";

// Cell classes: idle and shared GPU-hours get colors of their own so they stand out.
const CLASSES = [
  { value: 0, label: "no job", color: "#e5534b" },
  { value: 1, label: "job, < 10 % busy", color: "#f2b84b" },
  { value: 2, label: "1 job, 10–50 %", color: "#a9c8f2" },
  { value: 3, label: "1 job, 50–80 %", color: "#5b93e6" },
  { value: 4, label: "1 job, ≥ 80 %", color: "#1f4fa8" },
  { value: 5, label: "shared (2+ jobs)", color: "#8e44ad" },
  { value: 6, label: "no utilization reading", color: "#c9ced6" },
];

function cellClass(utilizationPct: number | null, jobCount: number): number {
  if (jobCount >= 2) return 5;
  if (utilizationPct === null) return jobCount === 0 ? 0 : 6;
  if (jobCount === 0) return 0;
  if (utilizationPct < 10) return 1;
  if (utilizationPct < 50) return 2;
  if (utilizationPct < 80) return 3;
  return 4;
}

/** One cell's tooltip, as the HTML ECharts shows: the GPU's names are escaped (nodes choose them). */
export function heatmapCellTooltip(
  gpu: Pick<HeatmapGpu, "hostname" | "gpuIndex" | "modelName" | "memoryTotalMiB">,
  hourMs: number,
  utilizationPct: number | null,
  jobCount: number,
  memoryMiB: number | null,
): string {
  return [
    `<b>${escapeHtml(`${gpu.hostname} #${gpu.gpuIndex}`)}</b> (${escapeHtml(gpu.modelName)})`,
    `${new Date(hourMs).toISOString().slice(0, 13).replace("T", " ")}:00 UTC, 1 hour`,
    `Utilization: <b>${utilizationPct === null ? "n/a" : `${utilizationPct.toFixed(1)} %`}</b>`,
    `Jobs: <b>${jobCount}</b>`,
    `Memory used: <b>${formatMiB(memoryMiB)}</b> of ${formatMiB(gpu.memoryTotalMiB)}`,
    CLASSES[cellClass(utilizationPct, jobCount)].label,
  ].join("<br/>");
}

function hourLabel(ms: number, days: boolean): string {
  const iso = new Date(ms).toISOString();
  return days ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : `${iso.slice(11, 13)}:00`;
}

export function UtilizationHeatmapChart({ heatmap }: { heatmap: UtilizationHeatmap }) {
  const { option, height } = useMemo(() => {
    const multiDay = heatmap.hourStartsMs.length > 24;
    // The GPU rows the cells cover (one page of a large fleet); chart rows count from the first of them.
    const { firstRow, rowCount } = heatmap.cellRows;
    const shownGpus = heatmap.gpus.slice(firstRow, firstRow + rowCount);
    const gpuLabels = shownGpus.map((gpu) => `${gpu.hostname} #${gpu.gpuIndex}`);
    // [hour column, chart row, utilization %, jobs, memory MiB, class]
    const data = heatmap.cells.map(([row, column, utilizationPct, jobCount, memoryMiB]) => [
      column,
      row - firstRow,
      utilizationPct,
      jobCount,
      memoryMiB,
      cellClass(utilizationPct, jobCount),
    ]);
    return {
      height: Math.max(320, shownGpus.length * 7 + 110),
      option: {
        animation: false,
        grid: { left: 130, right: 24, top: 36, bottom: 48 },
        tooltip: {
          position: "top",
          formatter: (param: { value: [number, number, number | null, number, number | null, number] }) => {
            const [column, row, utilizationPct, jobCount, memoryMiB] = param.value;
            return heatmapCellTooltip(shownGpus[row], heatmap.hourStartsMs[column], utilizationPct, jobCount, memoryMiB);
          },
        },
        xAxis: {
          type: "category",
          data: heatmap.hourStartsMs.map((ms) => hourLabel(ms, multiDay)),
          splitArea: { show: false },
          axisLabel: { interval: multiDay ? 11 : 1 },
        },
        yAxis: {
          type: "category",
          data: gpuLabels,
          inverse: true,
          // One label per node (at its first GPU): 128 GPU labels would overlap.
          axisLabel: {
            interval: 0,
            fontSize: 11,
            formatter: (_label: string, index: number) =>
              index === 0 || shownGpus[index - 1]?.hostname !== shownGpus[index]?.hostname ? shownGpus[index].hostname : "",
          },
          axisTick: { show: false },
        },
        visualMap: {
          type: "piecewise",
          dimension: 5,
          orient: "horizontal",
          top: 0,
          left: "center",
          pieces: CLASSES.map(({ value, label, color }) => ({ value, label, color })),
        },
        series: [
          {
            type: "heatmap",
            data,
            // Drawn in one frame: progressive drawing spreads a large grid over frames that a quick unmount (navigation) cuts short.
            progressive: 0,
            progressiveThreshold: 1_000_000,
            emphasis: { itemStyle: { borderColor: "#000", borderWidth: 1 } },
          },
        ],
      },
    };
  }, [heatmap]);

  return <EChart option={option} height={height} ariaLabel="GPU utilization by hour: idle and shared GPUs highlighted" />;
}
