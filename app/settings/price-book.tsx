"use client";

import { useQuery } from "@tanstack/react-query";
import { formatUtcDateTime } from "../components/format";
import { useTRPC } from "../trpc/client";

const money = (value: number, currency: string, digits = 4) => `${value.toFixed(digits)} ${currency}`;

/** The price book with every part of the on-prem cost-of-ownership formula. */
export function PriceBook() {
  const trpc = useTRPC();
  const prices = useQuery(trpc.prices.list.queryOptions());
  if (prices.isPending) return <p className="status">Loading the price book…</p>;
  if (prices.isError) return <p className="status error">Could not load the price book: {prices.error.message}</p>;
  if (prices.data.length === 0) {
    return (
      <p className="status">
        No prices yet: costs stay empty until each GPU model has one. Add them with <code>npm run admin -- set-price</code> or{" "}
        <code>POST /api/v1/prices</code>.
      </p>
    );
  }
  return (
    <table className="data-table">
      <caption>Price book</caption>
      <thead>
        <tr>
          <th>GPU model</th>
          <th className="numeric">Cost per GPU-hour</th>
          <th>Source</th>
          <th>Applies to</th>
          <th>Effective</th>
          <th>How it is made up</th>
        </tr>
      </thead>
      <tbody>
        {prices.data.map((price) => (
          <tr key={price.id}>
            <td>{price.gpuModel}</td>
            <td className="numeric">{money(price.costPerGpuHour, price.currency)}</td>
            <td>{price.source}</td>
            <td>{price.nodeLabelKey ? `nodes with ${price.nodeLabelKey}=${price.nodeLabelValue}` : "all nodes"}</td>
            <td>
              from {formatUtcDateTime(price.effectiveFromMs)}
              {price.effectiveToMs !== null && <> to {formatUtcDateTime(price.effectiveToMs)}</>}
            </td>
            <td className="formula">
              {price.tco ? (
                <>
                  amortization {money(price.tco.amortizationPerGpuHour, price.currency)} ({price.tco.purchasePricePerGpu.toLocaleString("en-US")} over{" "}
                  {price.tco.amortizationMonths} months × 730 h) + power {money(price.tco.powerPerGpuHour, price.currency)} ({price.tco.powerDrawW} W ×{" "}
                  {price.tco.electricityPricePerKwh}/kWh × PUE {price.tco.pue}) + overhead {money(price.tco.overheadPerGpuHour, price.currency)} (
                  {price.tco.yearlyOverheadPerGpu.toLocaleString("en-US")} a year / 8,760 h)
                </>
              ) : (
                (price.note ?? "cloud rate")
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
