"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { formatMoney, formatUtcDateTime } from "../components/format";
import { useAdminSession } from "../trpc/admin-session";
import { useTRPC } from "../trpc/client";
import { calculateTco, DEFAULT_TCO_FORM, formatRatePerGpuHour, setPriceCommand, TCO_FORM_FIELDS, type TcoFormValues } from "./tco-form";

/**
 * On-prem cost of ownership: the rate per GPU-hour and its parts, live as the
 * inputs change; signed in as admin, saved as a GPU model's price from now.
 */
export function TcoCalculator() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isAdmin } = useAdminSession();
  const prices = useQuery(trpc.prices.list.queryOptions());
  const knownModels = useMemo(() => [...new Set((prices.data ?? []).map((price) => price.gpuModel))].sort(), [prices.data]);
  const [values, setValues] = useState<TcoFormValues>(DEFAULT_TCO_FORM);
  const [gpuModel, setGpuModel] = useState("");
  const [currency, setCurrency] = useState("USD");
  const calculation = calculateTco(values);
  const add = useMutation(
    trpc.prices.add.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.prices.list.queryKey() }) }),
  );
  const validCurrency = /^[A-Za-z]{3}$/.test(currency) ? currency.toUpperCase() : "USD";
  const rate = (value: number) => formatRatePerGpuHour(value, validCurrency);
  const unit = (text: string) => text.replace("currency", validCurrency);

  const save = (event: React.FormEvent) => {
    event.preventDefault();
    if (!calculation.ok || gpuModel.trim() === "") return;
    add.mutate({ gpuModel: gpuModel.trim(), tco: calculation.inputs, currency: validCurrency, effectiveFrom: new Date().toISOString(), note: "cost-of-ownership calculator" });
  };

  return (
    <section className="panel" aria-label="Cost of ownership">
      <h2>Cost of ownership calculator</h2>
      <p className="hint">
        The price of an on-prem GPU-hour: depreciation over 730 hours a month, power at the data centre&apos;s PUE, and a yearly overhead
        over 8,760 hours. The fields are the admin CLI&apos;s <code>--tco</code> keys.
      </p>
      <div className="tco-grid">
        <form className="tco-inputs" aria-label="Cost-of-ownership inputs" onSubmit={(event) => event.preventDefault()}>
          {TCO_FORM_FIELDS.map((field) => {
            const error = calculation.ok ? undefined : calculation.errors[field.key];
            return (
              <label key={field.key}>
                <span>
                  {field.label} <code>{field.key}</code>
                </span>
                <input
                  type="number"
                  name={field.key}
                  step={field.step}
                  min={0}
                  value={values[field.key]}
                  aria-invalid={error ? true : undefined}
                  onChange={(event) => setValues({ ...values, [field.key]: event.target.value })}
                />
                <span className="unit">{unit(field.unit)}</span>
                {error && <span className="field-error">{error}</span>}
              </label>
            );
          })}
        </form>
        <div className="tco-result" aria-live="polite">
          {calculation.ok ? (
            <table className="data-table" aria-label="Cost per GPU-hour">
              <caption>Cost per GPU-hour</caption>
              <tbody>
                <tr>
                  <th scope="row">Capital (purchase / months / 730 h)</th>
                  <td className="numeric" data-part="capital">{rate(calculation.breakdown.amortizationPerGpuHour)}</td>
                </tr>
                <tr>
                  <th scope="row">Power (kW × price per kWh × PUE)</th>
                  <td className="numeric" data-part="power">{rate(calculation.breakdown.powerPerGpuHour)}</td>
                </tr>
                <tr>
                  <th scope="row">Overhead (per year / 8,760 h)</th>
                  <td className="numeric" data-part="overhead">{rate(calculation.breakdown.overheadPerGpuHour)}</td>
                </tr>
              </tbody>
              <tfoot>
                <tr className="totals-row">
                  <th scope="row">Cost per GPU-hour</th>
                  <td className="numeric" data-part="total">{rate(calculation.breakdown.costPerGpuHour)}</td>
                </tr>
                <tr>
                  <th scope="row">Per GPU per month (730 h)</th>
                  <td className="numeric">{formatMoney(calculation.costPerGpuMonth, validCurrency)}</td>
                </tr>
              </tfoot>
            </table>
          ) : (
            <p className="status error">Fix the marked fields to see the cost per GPU-hour.</p>
          )}
          <form className="form-row" aria-label="Save as a price" onSubmit={save}>
            <label>
              GPU model
              <input list="tco-gpu-models" value={gpuModel} onChange={(event) => setGpuModel(event.target.value)} placeholder="NVIDIA H100 80GB HBM3" />
              <datalist id="tco-gpu-models">
                {knownModels.map((model) => (
                  <option key={model} value={model} />
                ))}
              </datalist>
            </label>
            <label>
              Currency <input value={currency} onChange={(event) => setCurrency(event.target.value)} size={4} maxLength={3} />
            </label>
            <button type="submit" disabled={!isAdmin || !calculation.ok || gpuModel.trim() === "" || add.isPending}>
              Save as price from now
            </button>
          </form>
          {!isAdmin && <p className="hint">Sign in above with the admin token to save the rate in the price book.</p>}
          {add.error && <p className="status error">{add.error.message}</p>}
          {add.data && (
            <p className="status" role="status">
              Saved: {add.data.gpuModel} at {formatRatePerGpuHour(add.data.costPerGpuHour, add.data.currency)} per GPU-hour from{" "}
              {formatUtcDateTime(add.data.effectiveFromMs)}.
            </p>
          )}
          {calculation.ok && (
            <p className="hint">
              Or from a shell: <code>{setPriceCommand(gpuModel.trim() || "MODEL", calculation.inputs, validCurrency)}</code>
            </p>
          )}
        </div>
      </div>
    </section>
  );
}
