"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ALERT_RULE_KINDS, ALERT_RULE_PARAMS, type AlertRuleKind } from "@/server/domain/alert-rules";
import { useAdminSession } from "../trpc/admin-session";
import { useTRPC } from "../trpc/client";

const KIND_LABELS: Record<AlertRuleKind, string> = {
  budget: "Budget forecast or exceeded",
  "idle-gpus": "Idle GPUs held by a job",
  "spend-anomaly": "Anomalous daily spend",
  "node-silent": "Node silent",
  "ingest-refused": "Node's batches refused",
};

/** What each parameter means, with its unit, for the form's labels. */
const PARAM_LABELS: Record<string, string> = {
  forecast: "when forecast over budget",
  exceeded: "when spend over budget",
  minGpus: "at least N GPUs",
  maxUtilizationPct: "under X % utilization",
  minHours: "for H hours",
  scope: "of each",
  weeks: "history (weeks)",
  thresholdMads: "threshold (MADs)",
  minIncreasePct: "min. increase (%)",
  minHistoryDays: "min. days of history",
  minDailyCost: "min. daily cost",
  silentMinutes: "silent for M minutes",
  windowMinutes: "over the last (minutes)",
  minRefusals: "at least (refusals)",
};

type ParamValue = number | boolean | string;

function defaultsOf(kind: AlertRuleKind): Record<string, ParamValue> {
  return ALERT_RULE_PARAMS[kind].parse({}) as Record<string, ParamValue>;
}

function ParamField({ name, value, onChange }: { name: string; value: ParamValue; onChange: (value: ParamValue) => void }) {
  const label = PARAM_LABELS[name] ?? name;
  if (typeof value === "boolean") {
    return (
      <label>
        {label} <input type="checkbox" checked={value} onChange={(event) => onChange(event.target.checked)} />
      </label>
    );
  }
  if (name === "scope") {
    return (
      <label>
        {label}
        <select value={String(value)} onChange={(event) => onChange(event.target.value)}>
          <option value="team">team</option>
          <option value="model">model</option>
        </select>
      </label>
    );
  }
  return (
    <label>
      {label} <input type="number" step="any" value={String(value)} onChange={(event) => onChange(event.target.value === "" ? "" : Number(event.target.value))} style={{ width: "7em" }} />
    </label>
  );
}

/**
 * Alert rules: what to watch and where to send it. Admin only: rules carry
 * channel secrets, which the page never receives back (it sees hosts and recipients).
 */
export function AlertRules() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isAdmin } = useAdminSession();
  const rules = useQuery({ ...trpc.alerts.listRules.queryOptions(), enabled: isAdmin, retry: false });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.alerts.listRules.queryKey() });
  const create = useMutation(trpc.alerts.createRule.mutationOptions({ onSuccess: refresh }));
  const update = useMutation(trpc.alerts.updateRule.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.alerts.deleteRule.mutationOptions({ onSuccess: refresh }));
  const [name, setName] = useState("");
  const [kind, setKind] = useState<AlertRuleKind>("idle-gpus");
  const [params, setParams] = useState<Record<string, ParamValue>>(() => defaultsOf("idle-gpus"));
  const [slackUrl, setSlackUrl] = useState("");
  const [webhookUrl, setWebhookUrl] = useState("");
  const [webhookSecret, setWebhookSecret] = useState("");
  const [emailTo, setEmailTo] = useState("");
  const error = rules.error ?? create.error ?? update.error ?? remove.error;

  const channels = [
    ...(slackUrl ? [{ kind: "slack" as const, url: slackUrl }] : []),
    ...(webhookUrl ? [{ kind: "webhook" as const, url: webhookUrl, secret: webhookSecret }] : []),
    ...(emailTo.trim() ? [{ kind: "email" as const, to: emailTo.split(",").map((address) => address.trim()).filter(Boolean) }] : []),
  ];

  return (
    <section className="panel" aria-label="Alert rules" id="alert-rules">
      <h2>Alert rules</h2>
      <p className="hint">
        Rules are evaluated every minute; each alert fires once per episode and once more when it resolves, to Slack-compatible webhooks, signed JSON webhooks
        and e-mail (SMTP set by GPU_ROI_SMTP_*). Open and past alerts are on <a href="/alerts">Alerts</a>. Sign in above as admin to manage rules.
      </p>
      {error && <p className="status error">{error.message}</p>}
      {isAdmin && (
        <>
          <form
            className="alert-rule-form"
            aria-label="New alert rule"
            onSubmit={(event) => {
              event.preventDefault();
              if (!name) return;
              create.mutate(
                { name, kind, params, channels },
                {
                  onSuccess: () => {
                    setName("");
                    setWebhookSecret("");
                  },
                },
              );
            }}
          >
            <label>
              Name <input value={name} onChange={(event) => setName(event.target.value)} placeholder="Idle GPUs, 4 h" />
            </label>
            <label>
              Kind
              <select
                value={kind}
                onChange={(event) => {
                  const next = event.target.value as AlertRuleKind;
                  setKind(next);
                  setParams(defaultsOf(next));
                }}
              >
                {ALERT_RULE_KINDS.map((option) => (
                  <option key={option} value={option}>
                    {KIND_LABELS[option]}
                  </option>
                ))}
              </select>
            </label>
            <fieldset>
              <legend>Condition</legend>
              {Object.entries(params).map(([key, value]) => (
                <ParamField key={key} name={key} value={value} onChange={(next) => setParams({ ...params, [key]: next })} />
              ))}
            </fieldset>
            <fieldset>
              <legend>Channels</legend>
              <label>
                Slack webhook URL <input type="url" value={slackUrl} onChange={(event) => setSlackUrl(event.target.value)} placeholder="https://hooks.slack.com/services/…" />
              </label>
              <label>
                Webhook URL <input type="url" value={webhookUrl} onChange={(event) => setWebhookUrl(event.target.value)} placeholder="https://ops.example.com/gpu-roi" />
              </label>
              <label>
                Webhook secret (HMAC) <input type="password" value={webhookSecret} onChange={(event) => setWebhookSecret(event.target.value)} autoComplete="new-password" />
              </label>
              <label>
                E-mail to <input value={emailTo} onChange={(event) => setEmailTo(event.target.value)} placeholder="oncall@example.com, lead@example.com" />
              </label>
            </fieldset>
            <button type="submit" disabled={!name || create.isPending}>
              Add rule
            </button>
          </form>
          <table className="data-table">
            <caption>Rules</caption>
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Condition</th>
                <th>Channels</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(rules.data ?? []).map((rule) => (
                <tr key={rule.id}>
                  <td>{rule.name}</td>
                  <td>{KIND_LABELS[rule.kind]}</td>
                  <td>
                    {Object.entries(rule.params)
                      .map(([key, value]) => `${PARAM_LABELS[key] ?? key}: ${String(value)}`)
                      .join("; ")}
                  </td>
                  <td>{rule.channels.length === 0 ? "page only" : rule.channels.map((channel) => `${channel.kind} ${channel.label}`).join(", ")}</td>
                  <td>
                    <label>
                      <input type="checkbox" checked={rule.enabled} disabled={update.isPending} onChange={(event) => update.mutate({ id: rule.id, enabled: event.target.checked })} />{" "}
                      {rule.enabled ? "enabled" : "disabled"}
                    </label>
                  </td>
                  <td>
                    <button type="button" disabled={remove.isPending} onClick={() => remove.mutate({ id: rule.id })}>
                      Delete
                    </button>
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
