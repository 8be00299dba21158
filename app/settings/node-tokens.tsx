"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatUtcDateTime } from "../components/format";
import { useAdminSession } from "../trpc/admin-session";
import { useTRPC } from "../trpc/client";

/**
 * Collector tokens: issue one for a node (shown once, only its hash is kept) and
 * revoke one. Admin only: shown once signed in as admin.
 */
export function NodeTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isAdmin } = useAdminSession();
  const [cluster, setCluster] = useState("default");
  const [hostname, setHostname] = useState("");
  const tokens = useQuery({ ...trpc.nodeTokens.list.queryOptions(), enabled: isAdmin, retry: false });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.nodeTokens.list.queryKey() });
  const issue = useMutation(trpc.nodeTokens.issue.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.nodeTokens.revoke.mutationOptions({ onSuccess: refresh }));
  const error = tokens.error ?? issue.error ?? revoke.error;

  return (
    <section className="panel" aria-label="Node tokens">
      <h2>Collector tokens</h2>
      <p className="hint">Each GPU node&apos;s collector sends with its own token. Sign in above with the admin token (GPU_ROI_ADMIN_TOKEN) to see and manage them.</p>
      {error && <p className="status error">{error.message}</p>}
      {isAdmin && (
        <>
          <form
            className="form-row token-form"
            onSubmit={(event) => {
              event.preventDefault();
              if (hostname) issue.mutate({ cluster, hostname });
            }}
          >
            <label>
              Cluster <input value={cluster} onChange={(event) => setCluster(event.target.value)} />
            </label>
            <label>
              Node hostname <input value={hostname} onChange={(event) => setHostname(event.target.value)} placeholder="gpu-node-01" />
            </label>
            <button type="submit" disabled={!hostname || issue.isPending}>
              Issue token
            </button>
          </form>
          {issue.data && (
            <p className="status new-token">
              Token for {issue.data.hostname}, shown only now: <code>{issue.data.token}</code>
            </p>
          )}
          <table className="data-table">
            <caption>Tokens</caption>
            <thead>
              <tr>
                <th>Cluster</th>
                <th>Node</th>
                <th>Token</th>
                <th>Issued</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(tokens.data ?? []).map((token) => (
                <tr key={token.id}>
                  <td>{token.clusterName}</td>
                  <td>{token.hostname}</td>
                  <td>
                    <code>{token.tokenPrefix}…</code>
                  </td>
                  <td>{formatUtcDateTime(token.createdAtMs)}</td>
                  <td>{token.revokedAtMs === null ? "active" : `revoked ${formatUtcDateTime(token.revokedAtMs)}`}</td>
                  <td>
                    {token.revokedAtMs === null && (
                      <button type="button" onClick={() => revoke.mutate({ id: token.id })}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
