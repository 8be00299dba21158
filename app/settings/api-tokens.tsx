"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatUtcDateTime } from "../components/format";
import { useTRPC } from "../trpc/client";

/** Lifetimes offered; the server accepts any whole number of days up to a year. */
const EXPIRY_CHOICES_DAYS = [7, 30, 90, 365] as const;

function tokenState(token: { revokedAtMs: number | null; expiresAtMs: number }, nowMs: number): string {
  if (token.revokedAtMs !== null) return `revoked ${formatUtcDateTime(token.revokedAtMs)}`;
  return token.expiresAtMs <= nowMs ? "expired" : "active";
}

/**
 * Personal API tokens for scripts and dashboards: create one (name, lifetime),
 * see its secret once with a copy button, revoke. A token carries its creator's
 * role and teams. Shown to whoever may hold tokens (a signed-in person, or the
 * break-glass admin); an admin sees and may revoke everyone's.
 */
export function ApiTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [expiresInDays, setExpiresInDays] = useState<number>(90);
  const [copied, setCopied] = useState(false);
  const list = useQuery({ ...trpc.apiTokens.list.queryOptions(), retry: false });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiTokens.list.queryKey() });
  const create = useMutation(
    trpc.apiTokens.create.mutationOptions({
      onSuccess: () => {
        setName("");
        setCopied(false);
        void refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.apiTokens.revoke.mutationOptions({ onSuccess: refresh }));
  const error = list.error ?? create.error ?? revoke.error;
  const canManage = list.data?.canManage === true;
  const nowMs = Date.now();

  const copySecret = async (secret: string) => {
    // The clipboard API exists only in secure contexts (https, localhost): elsewhere the secret stays selectable.
    if (!navigator.clipboard) return;
    await navigator.clipboard.writeText(secret);
    setCopied(true);
  };

  return (
    <section className="panel" aria-label="API tokens">
      <h2>API tokens</h2>
      <p className="hint">
        For scripts and dashboards: send <code>Authorization: Bearer groi_…</code>. A token sees what its creator saw when it was made (role and teams),
        expires after at most a year, and is shown only once. {canManage ? "" : "Sign in to create one."}
      </p>
      {error && <p className="status error">{error.message}</p>}
      {canManage && (
        <>
          <form
            className="form-row token-form"
            onSubmit={(event) => {
              event.preventDefault();
              if (name.trim()) create.mutate({ name: name.trim(), expiresInDays });
            }}
          >
            <label>
              Name <input value={name} maxLength={100} onChange={(event) => setName(event.target.value)} placeholder="grafana dashboard" />
            </label>
            <label>
              Expires in
              <select value={expiresInDays} onChange={(event) => setExpiresInDays(Number(event.target.value))}>
                {EXPIRY_CHOICES_DAYS.map((days) => (
                  <option key={days} value={days}>
                    {days} days
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={!name.trim() || create.isPending}>
              Create token
            </button>
          </form>
          {create.data && (
            <p className="status new-token">
              Token “{create.data.token.name}”, shown only now: <code data-testid="api-token-secret">{create.data.secret}</code>{" "}
              <button type="button" onClick={() => void copySecret(create.data.secret)}>
                {copied ? "Copied" : "Copy"}
              </button>
            </p>
          )}
          <table className="data-table">
            <caption>Tokens</caption>
            <thead>
              <tr>
                <th>Name</th>
                <th>Owner</th>
                <th>Role</th>
                <th>Token</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(list.data?.tokens ?? []).length === 0 && (
                <tr>
                  <td className="empty" colSpan={9}>
                    No API tokens yet.
                  </td>
                </tr>
              )}
              {(list.data?.tokens ?? []).map((token) => (
                <tr key={token.id}>
                  <td>{token.name}</td>
                  <td>{token.ownerDisplayName}</td>
                  <td>{token.teams.length > 0 ? `${token.role} (${token.teams.join(", ")})` : token.role}</td>
                  <td>
                    <code>{token.tokenPrefix}…</code>
                  </td>
                  <td>{formatUtcDateTime(token.createdAtMs)}</td>
                  <td>{formatUtcDateTime(token.expiresAtMs)}</td>
                  <td>{token.lastUsedAtMs === null ? "never" : formatUtcDateTime(token.lastUsedAtMs)}</td>
                  <td>{tokenState(token, nowMs)}</td>
                  <td>
                    {token.revokedAtMs === null && token.expiresAtMs > nowMs && (
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
