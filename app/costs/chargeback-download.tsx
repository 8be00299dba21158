"use client";

import { useState } from "react";

/** The monthly chargeback report per team, downloaded from GET /api/v1/chargeback as CSV or HTML. */
export function ChargebackDownload({ months }: { months: readonly string[] }) {
  // Last month first: the current one is still running.
  const [month, setMonth] = useState(months[1] ?? months[0]);
  const href = (format: "csv" | "html") => `/api/v1/chargeback?month=${encodeURIComponent(month)}&format=${format}`;
  return (
    <section className="panel" aria-label="Monthly chargeback">
      <h2>Monthly chargeback</h2>
      <p className="hint">
        Per team for a month: GPU-hours, cost with its share of idle GPUs, efficiency, top experiments, cost per unit of work and budget against
        actual. It is also e-mailed on the 1st of each month to the recipients the server is configured with.
      </p>
      <div className="form-row">
        <label>
          Month{" "}
          <select value={month} onChange={(event) => setMonth(event.target.value)}>
            {months.map((option) => (
              <option key={option}>{option}</option>
            ))}
          </select>
        </label>
        <a href={href("csv")} download>
          Download CSV
        </a>
        <a href={href("html")} download>
          Download HTML
        </a>
      </div>
    </section>
  );
}
