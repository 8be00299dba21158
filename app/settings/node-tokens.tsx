"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatUtcDateTime } from "../components/format";
import { ADMIN_TOKEN_STORAGE_KEY, useTRPC } from "../trpc/client";

/**
 * Collector tokens: issue one for a node (shown once, only its hash is kept) and
 * revoke one. Admin only: the admin token is kept for this tab.
 */
export function NodeTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [adminToken, setAdminToken] = useState(() => (typeof window === "undefined" ? "" : (window.sessionStorage.getItem(ADMIN_TOKEN_STORAGE_KEY) ?? "")));
  const [cluster, setCluster] = useState("default");
  const [hostname, setHostname] = useState("");
  const tokens = useQuery({ ...trpc.nodeTokens.list.queryOptions(), enabled: adminToken !== "", retry: false });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.nodeTokens.list.queryKey() });
  const issue = useMutation(trpc.nodeTokens.issue.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.nodeTokens.revoke.mutationOptions({ onSuccess: refresh }));
  const error = tokens.error ?? issue.error ?? revoke.error;

  const saveToken = (token: string) => {
    setAdminToken(token);
    if (token) window.sessionStorage.setItem(ADMIN_TOKEN_STORAGE_KEY, token);
    else window.sessionStorage.removeItem(ADMIN_TOKEN_STORAGE_KEY);
    void refresh();
  };

  return (
    <section className="panel" aria-label="Node tokens">
      <h2>Collector tokens</h2>
      <p className="hint">Each GPU node's collector sends with its own token. Enter the admin token (GPU_ROI_ADMIN_TOKEN) to see and manage them.</p>
      <div className="admin-bar">
        <input type="password" aria-label="Admin token" placeholder="admin token" value={adminToken} onChange={(event) => saveToken(event.target.value)} />
      </div>
      {error && <p className="status error">{error.message}</p>}
      {adminToken && (
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
