"use client";

import { useQuery } from "@tanstack/react-query";
import { formatUtcDateTime } from "../components/format";
import { useTRPC } from "../trpc/client";

/** How long the server keeps raw usage windows and rollups, as its upkeep applies it. */
export function RetentionInfo() {
  const trpc = useTRPC();
  const retention = useQuery(trpc.retention.get.queryOptions());
  return (
    <section className="panel" aria-label="Retention">
      <h2>Retention</h2>
      {retention.isPending && <p className="status">Loading the retention…</p>}
      {retention.isError && <p className="status error">Could not load the retention: {retention.error.message}</p>}
      {retention.data && (
        <table className="data-table">
          <caption>What is kept</caption>
          <thead>
            <tr>
              <th>Data</th>
              <th>Kept</th>
              <th>Oldest stored</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>Raw usage windows (per GPU and per job)</td>
              <td data-retention="raw">
                {retention.data.rawWindowRetentionDays} days (<code>GPU_ROI_RAW_RETENTION_DAYS</code>)
              </td>
              <td>{retention.data.oldestRawWindowMs === null ? "none yet" : formatUtcDateTime(retention.data.oldestRawWindowMs)}</td>
            </tr>
            {retention.data.rollups.map((rollup) => (
              <tr key={rollup.rollup}>
                <td>Rollups, {rollup.rollup}</td>
                <td>for ever</td>
                <td>{rollup.oldestStartMs === null ? "none yet" : formatUtcDateTime(rollup.oldestStartMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="hint">
        The server deletes raw windows past their retention hourly, one hour at a time; costs over weeks read the rollups, so they stay
        exact after the raw windows are gone. Rollups of deleted hours can no longer be rebuilt (<code>npm run admin -- rebuild-rollups</code>).
      </p>
    </section>
  );
}
