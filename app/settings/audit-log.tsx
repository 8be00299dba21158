"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { formatUtcDateTime } from "../components/format";
import { useAdminSession } from "../trpc/admin-session";
import { useTRPC } from "../trpc/client";

const WINDOWS = [
  { value: "7d", label: "last 7 days" },
  { value: "30d", label: "last 30 days" },
  { value: "400d", label: "last 400 days" },
] as const;
const PAGE_SIZE = 50;
/** Other admins' actions show up within this long. */
const REFRESH_MS = 60_000;

/** A before/after state on one line; the full JSON is in the cell's title. */
function stateText(state: unknown): string {
  return state === null ? "—" : JSON.stringify(state);
}

/**
 * The audit log for admins: who did what, when, with the state before and after,
 * newest first, a page at a time (older pages by cursor). The same log is
 * GET /api/v1/audit (JSON or CSV) for an admin's API token or the admin token.
 */
export function AuditLog() {
  const trpc = useTRPC();
  const { isAdmin } = useAdminSession();
  const [timeWindow, setTimeWindow] = useState<string>("30d");
  // Cursors of the pages shown so far: [undefined] is the newest page.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({ ...trpc.audit.list.queryOptions({ window: timeWindow, limit: PAGE_SIZE, cursor }), enabled: isAdmin, retry: false, refetchInterval: REFRESH_MS });
  const queryClient = useQueryClient();
  // Every change made on this page (a price, a token) is audited: show its entry as soon as it succeeds.
  useEffect(
    () =>
      queryClient.getMutationCache().subscribe((event) => {
        if (event.type === "updated" && event.action.type === "success") void queryClient.invalidateQueries(trpc.audit.list.pathFilter());
      }),
    [queryClient, trpc],
  );

  if (!isAdmin) return null;
  return (
    <section className="panel" aria-label="Audit log">
      <h2>Audit log</h2>
      <p className="hint">
        Every admin action (prices, collector and API tokens, recommendation decisions and runs, admin sign-ins, the admin CLI), with who did it and
        the state before and after. Append-only. Also <code>GET /api/v1/audit</code> (JSON, or <code>format=csv</code>).
      </p>
      <div className="form-row token-form">
        <label>
          Window
          <select
            value={timeWindow}
            onChange={(event) => {
              setTimeWindow(event.target.value);
              setCursors([undefined]);
            }}
          >
            {WINDOWS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {page.error && <p className="status error">{page.error.message}</p>}
      <table className="data-table">
        <caption>Entries, newest first</caption>
        <thead>
          <tr>
            <th>When (UTC)</th>
            <th>Who</th>
            <th>Action</th>
            <th>Target</th>
            <th>Before</th>
            <th>After</th>
          </tr>
        </thead>
        <tbody>
          {page.data?.entries.length === 0 && (
            <tr>
              <td className="empty" colSpan={6}>
                No entries in this window.
              </td>
            </tr>
          )}
          {(page.data?.entries ?? []).map((entry) => (
            <tr key={entry.id}>
              <td>{formatUtcDateTime(entry.atMs)}</td>
              <td title={`${entry.actor.kind}: ${entry.actor.subject}`}>
                {entry.actor.displayName}
                {entry.actor.apiTokenId === null ? "" : ` (API token #${entry.actor.apiTokenId})`}
              </td>
              <td>
                <code>{entry.action}</code>
              </td>
              <td>{entry.target}</td>
              <td className="wrap" title={stateText(entry.before)}>
                <code>{stateText(entry.before).slice(0, 120)}</code>
              </td>
              <td className="wrap" title={stateText(entry.after)}>
                <code>{stateText(entry.after).slice(0, 120)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="form-row">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>{" "}
        <button type="button" disabled={!page.data?.nextCursor} onClick={() => setCursors([...cursors, page.data!.nextCursor!])}>
          Older
        </button>
      </div>
    </section>
  );
}
