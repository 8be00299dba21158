"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatMoney, formatRatioPct } from "../components/format";
import { Stat } from "../components/stat";
import { useTRPC } from "../trpc/client";

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

type Shape = { gpuModel: string; gpuCount: number; hours: number };
type Like = { likeExperiment: string; scale: number };

/** A team describes an experiment and sees what it will cost, before launching it. */
export function EstimateForm() {
  const trpc = useTRPC();
  const prices = useQuery(trpc.prices.list.queryOptions());
  const experiments = useQuery(trpc.experiments.list.queryOptions({ window: "30d" }));
  const models = [...new Set((prices.data ?? []).map((price) => price.gpuModel))].sort();
  const [mode, setMode] = useState<"shape" | "like">("shape");
  const [shape, setShape] = useState<Shape>({ gpuModel: "", gpuCount: 8, hours: 24 });
  const [like, setLike] = useState<Like>({ likeExperiment: "", scale: 1 });
  const [submitted, setSubmitted] = useState<Shape | Like | null>(null);
  const estimate = useQuery({ ...trpc.estimate.get.queryOptions(submitted ?? { likeExperiment: "-", scale: 1 }), enabled: submitted !== null, retry: false });

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(mode === "shape" ? { ...shape, gpuModel: shape.gpuModel || models[0] } : { ...like, likeExperiment: like.likeExperiment || experiments.data?.experiments[0]?.experiment || "" });
  };
  const result = estimate.data;
  const c = result?.currency ?? null;

  return (
    <main>
      <header className="page-header">
        <h1>Estimate an experiment</h1>
      </header>
      <form className="panel estimate-form" onSubmit={submit} aria-label="Experiment to estimate">
        <fieldset>
          <legend>Describe it</legend>
          <label>
            <input type="radio" name="mode" checked={mode === "shape"} onChange={() => setMode("shape")} /> GPUs and hours
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === "like"} onChange={() => setMode("like")} /> like an earlier experiment
          </label>
        </fieldset>
        {mode === "shape" ? (
          <div className="form-row">
            <label>
              GPU model
              <select value={shape.gpuModel || models[0] || ""} onChange={(event) => setShape({ ...shape, gpuModel: event.target.value })}>
                {models.map((model) => (
                  <option key={model}>{model}</option>
                ))}
              </select>
            </label>
            <label>
              GPUs
              <input type="number" min={1} step={1} value={shape.gpuCount} onChange={(event) => setShape({ ...shape, gpuCount: Number(event.target.value) })} />
            </label>
            <label>
              Hours
              <input type="number" min={0.1} step={0.1} value={shape.hours} onChange={(event) => setShape({ ...shape, hours: Number(event.target.value) })} />
            </label>
          </div>
        ) : (
          <div className="form-row">
            <label>
              Experiment
              <select
                value={like.likeExperiment || experiments.data?.experiments[0]?.experiment || ""}
                onChange={(event) => setLike({ ...like, likeExperiment: event.target.value })}
              >
                {(experiments.data?.experiments ?? []).map((experiment) => (
                  <option key={`${experiment.model}/${experiment.experiment}`} value={experiment.experiment}>
                    {experiment.experiment} ({experiment.model})
                  </option>
                ))}
              </select>
            </label>
            <label>
              Scaled by
              <input type="number" min={0.1} step={0.1} value={like.scale} onChange={(event) => setLike({ ...like, scale: Number(event.target.value) })} />
            </label>
          </div>
        )}
        <button type="submit">Estimate</button>
      </form>

      {estimate.isFetching && <p className="status">Estimating…</p>}
      {estimate.isError && <p className="status error">{estimate.error.message}</p>}
      {result && !estimate.isFetching && (
        <>
          <section className="stat-grid" aria-label="Estimate">
            <Stat
              label="Expected cost"
              value={formatMoney(result.expectedCost, c)}
              detail={`${result.plannedGpuHours.toFixed(1)} GPU-hours on ${result.gpuModel} at ${formatMoney(result.costPerGpuHour, c)}/GPU-hour`}
            />
            <Stat
              label="Likely range"
              value={result.costRange ? `${formatMoney(result.costRange.low, c)} – ${formatMoney(result.costRange.high, c)}` : "n/a"}
              detail={`from ${result.similarRuns} similar run${result.similarRuns === 1 ? "" : "s"} (10th to 90th percentile)`}
            />
            <Stat
              label="Expected efficiency"
              value={formatRatioPct(result.expectedEfficiency)}
              detail={result.expectedWasteCost === null ? "no similar run" : `${formatMoney(result.expectedWasteCost, c)} of GPU time held but idle`}
            />
            <Stat
              label="Off-peak start"
              value={result.offPeak ? `${DAYS[Math.floor(result.offPeak.startHourOfWeek / 24)]} ${String(result.offPeak.startHourOfWeek % 24).padStart(2, "0")}:00 UTC` : "n/a"}
              detail={result.offPeak ? `≥ ${result.offPeak.minFreeGpus.toFixed(1)} GPUs free on average (${result.offPeak.minFreeGpusNow.toFixed(1)} if started now)` : "no usage history for this model"}
            />
          </section>
          <section className="panel">
            <table className="data-table">
              <caption>The same work on other GPU models</caption>
              <thead>
                <tr>
                  <th>GPU model</th>
                  <th className="numeric">GPU-hours</th>
                  <th className="numeric">Expected cost</th>
                  <th className="numeric">Price per A100-hour of work</th>
                  <th>Throughput</th>
                </tr>
              </thead>
              <tbody>
                {result.alternatives.map((alternative) => (
                  <tr key={alternative.gpuModel}>
                    <td>{alternative.gpuModel}</td>
                    <td className="numeric">{alternative.gpuHours.toFixed(1)}</td>
                    <td className="numeric">{formatMoney(alternative.expectedCost, c)}</td>
                    <td className="numeric">{formatMoney(alternative.pricePerUnitOfWork, c)}</td>
                    <td>
                      <span className="tag">{alternative.throughput}</span>
                    </td>
                  </tr>
                ))}
                {result.alternatives.length === 0 && (
                  <tr>
                    <td colSpan={5} className="empty">
                      No other priced GPU model with a throughput figure.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
            <p className="hint">
              &quot;measured&quot;: compared by the experiment&apos;s own work per GPU-hour on both models (its work counters); &quot;assumed&quot;: by
              peak tensor throughput, which overstates real speedups, so faster models look cheaper than they will be.
              {result.notes.length > 0 && <> {result.notes.join("; ")}.</>}
            </p>
          </section>
        </>
      )}
    </main>
  );
}
