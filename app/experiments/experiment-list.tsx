"use client";

import { useQuery } from "@tanstack/react-query";
import { formatGpuHours, formatMoney } from "../components/format";
import { Stat } from "../components/stat";
import { WindowLinks } from "../components/window-links";
import { useTRPC } from "../trpc/client";
import { ExperimentTable } from "./experiment-table";

export function ExperimentList({ window }: { window: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.experiments.list.queryOptions({ window }));
  const experiments = list.data?.experiments ?? [];
  const currency = list.data?.currency ?? null;
  const models = new Set(experiments.map((experiment) => experiment.model));
  const totalCost = experiments.reduce((sum, experiment) => sum + experiment.totalCost, 0);
  const runs = experiments.reduce((sum, experiment) => sum + experiment.runs, 0);
  const gpuHours = experiments.reduce((sum, experiment) => sum + experiment.gpuHours, 0);

  return (
    <main>
      <header className="page-header">
        <h1>Experiments</h1>
        <WindowLinks path="/experiments" current={window} />
      </header>
      {list.isPending && <p className="status">Loading experiments…</p>}
      {list.isError && <p className="status error">Could not load experiments: {list.error.message}</p>}
      {list.data && (
        <>
          <section className="stat-grid" aria-label="Experiment summary">
            <Stat label={`Experiment cost, ${window}`} value={formatMoney(totalCost, currency)} detail="idle GPU time not included" />
            <Stat label="Experiments" value={String(experiments.length)} detail={`of ${models.size} models`} />
            <Stat label="Runs" value={String(runs)} detail="jobs with GPU time in the window" />
            <Stat label="GPU-hours" value={formatGpuHours(gpuHours)} />
          </section>
          <section className="panel">
            <ExperimentTable
              experiments={experiments}
              currency={currency}
              window={window}
              caption="Experiments, most expensive first"
              csvFileName={`gpu-roi-experiments-${window}.csv`}
            />
          </section>
        </>
      )}
    </main>
  );
}
