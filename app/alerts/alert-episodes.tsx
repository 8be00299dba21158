"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDuration, formatUtcDateTime } from "../components/format";
import { useAdminSession } from "../trpc/admin-session";
import { useTRPC } from "../trpc/client";
import type { AppRouter } from "@/server/api/trpc/root";
import type { inferRouterOutputs } from "@trpc/server";

type Episode = inferRouterOutputs<AppRouter>["alerts"]["listEpisodes"]["open"][number];
type Delivery = Episode["deliveries"][number];

/** Per channel and event, the last attempt's outcome and how many attempts it took. */
function deliverySummary(deliveries: readonly Delivery[]): { key: string; text: string; failed: boolean }[] {
  const latest = new Map<string, Delivery>();
  for (const delivery of deliveries) latest.set(`${delivery.event} ${delivery.channelKind} ${delivery.channelLabel}`, delivery);
  return [...latest].map(([key, delivery]) => ({
    key,
    text: `${delivery.event}: ${delivery.channelKind} ${delivery.channelLabel} ${delivery.status}${delivery.attempt > 1 ? ` (attempt ${delivery.attempt})` : ""}`,
    failed: delivery.status !== "sent",
  }));
}

function EpisodeRow({ episode, isAdmin, onAcknowledge, pending }: { episode: Episode; isAdmin: boolean; onAcknowledge: (id: number) => void; pending: boolean }) {
  const endMs = episode.resolvedAtMs ?? episode.lastHeldAtMs;
  return (
    <tr data-episode-id={episode.id} data-severity={episode.severity}>
      <td>{episode.severity}</td>
      <td>
        <details>
          <summary>{episode.title}</summary>
          <dl className="alert-detail">
            {Object.entries(episode.detail).map(([key, value]) => (
              <div key={key}>
                <dt>{key}</dt>
                <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
              </div>
            ))}
          </dl>
          <table className="data-table">
            <caption>Delivery attempts</caption>
            <thead>
              <tr>
                <th>When</th>
                <th>Notice</th>
                <th>Channel</th>
                <th>Attempt</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {episode.deliveries.map((delivery, index) => (
                <tr key={index}>
                  <td>{formatUtcDateTime(delivery.attemptedAtMs)}</td>
                  <td>{delivery.event}</td>
                  <td>
                    {delivery.channelKind} {delivery.channelLabel}
                  </td>
                  <td>{delivery.attempt}</td>
                  <td>{delivery.status === "sent" ? "sent" : `failed: ${delivery.error ?? ""}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </td>
      <td>{episode.ruleName ?? `rule ${episode.ruleId} (deleted)`}</td>
      <td>{formatUtcDateTime(episode.openedAtMs)}</td>
      <td>{episode.resolvedAtMs === null ? `open for ${formatDuration(endMs - episode.openedAtMs)}` : `${formatUtcDateTime(episode.resolvedAtMs)}`}</td>
      <td>
        <ul className="plain-list">
          {deliverySummary(episode.deliveries).map((item) => (
            <li key={item.key} className={item.failed ? "status error" : undefined}>
              {item.text}
            </li>
          ))}
          {episode.deliveries.length === 0 && <li className="status">no channel</li>}
        </ul>
      </td>
      <td>
        {episode.acknowledgedAtMs !== null ? (
          `acknowledged ${formatUtcDateTime(episode.acknowledgedAtMs)} by ${episode.acknowledgedBy ?? "admin"}`
        ) : isAdmin ? (
          <button type="button" disabled={pending} onClick={() => onAcknowledge(episode.id)}>
            Acknowledge
          </button>
        ) : (
          "not acknowledged"
        )}
      </td>
    </tr>
  );
}

function EpisodeTable({ caption, episodes, isAdmin, onAcknowledge, pending }: { caption: string; episodes: readonly Episode[]; isAdmin: boolean; onAcknowledge: (id: number) => void; pending: boolean }) {
  return (
    <table className="data-table alert-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th>Severity</th>
          <th>Alert (open for figures and attempts)</th>
          <th>Rule</th>
          <th>Fired</th>
          <th>Resolved</th>
          <th>Delivery</th>
          <th>Acknowledged</th>
        </tr>
      </thead>
      <tbody>
        {episodes.map((episode) => (
          <EpisodeRow key={episode.id} episode={episode} isAdmin={isAdmin} onAcknowledge={onAcknowledge} pending={pending} />
        ))}
      </tbody>
    </table>
  );
}

/**
 * Open alert episodes and the latest resolved ones: what fired, when, where its
 * notices went (each attempt), and who acknowledged it. Admins acknowledge here.
 */
export function AlertEpisodes() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isAdmin } = useAdminSession();
  const episodes = useQuery({ ...trpc.alerts.listEpisodes.queryOptions({ pastLimit: 100 }), refetchInterval: 30_000 });
  const acknowledge = useMutation(trpc.alerts.acknowledge.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.alerts.listEpisodes.queryKey() }) }));
  const error = episodes.error ?? acknowledge.error;
  const open = episodes.data?.open ?? [];
  const past = episodes.data?.past ?? [];
  return (
    <>
      <section className="panel" aria-label="Open alerts">
        <h2>Open ({open.length})</h2>
        {error && <p className="status error">{error.message}</p>}
        {episodes.isPending ? (
          <p className="status">Loading alerts…</p>
        ) : open.length === 0 ? (
          <p className="status">No alert is firing.</p>
        ) : (
          <EpisodeTable caption="Firing now" episodes={open} isAdmin={isAdmin} onAcknowledge={(id) => acknowledge.mutate({ id })} pending={acknowledge.isPending} />
        )}
        <p className="hint">
          Each alert fires once when its condition starts and once more when it clears; rules and channels are set on <a href="/settings#alert-rules">Settings</a>.
        </p>
      </section>
      <section className="panel" aria-label="Past alerts">
        <h2>Resolved</h2>
        {past.length === 0 ? (
          <p className="status">No resolved alert yet.</p>
        ) : (
          <EpisodeTable caption="Latest resolved" episodes={past} isAdmin={isAdmin} onAcknowledge={(id) => acknowledge.mutate({ id })} pending={acknowledge.isPending} />
        )}
      </section>
    </>
  );
}
