import type { AppPrismaClient } from "../db/prisma-client";
import { tcoCostPerGpuHour, type TcoBreakdown, type TcoInputs } from "../domain/pricing";
import type { Principal } from "../auth/principal";
import { recordAudit } from "./audit-log";
import { ServiceError } from "./service-error";

export type PriceSource = "cloud-on-demand" | "cloud-reserved" | "on-prem-tco";

export interface NewPriceEntry {
  gpuModel: string;
  /** A cloud rate; omit when `tco` is given. */
  costPerGpuHour?: number;
  /** On-prem cost-of-ownership inputs: the rate is computed from them. */
  tco?: TcoInputs;
  currency?: string;
  source?: PriceSource;
  effectiveFromMs: number;
  effectiveToMs?: number | null;
  nodeLabel?: { key: string; value: string } | null;
  note?: string | null;
}

export interface StoredPriceEntry {
  id: number;
  gpuModel: string;
  costPerGpuHour: number;
  currency: string;
  source: string;
  effectiveFromMs: number;
  effectiveToMs: number | null;
  nodeLabelKey: string | null;
  nodeLabelValue: string | null;
  tco: (TcoInputs & TcoBreakdown) | null;
  note: string | null;
}

/**
 * Adds a price. A later entry for the same model (and node label) takes over from
 * its effectiveFromMs; costs are computed at query time, so every figure that
 * covers the affected hours changes with it. With an `actor` (every admin path
 * passes one) the audit log records it in the same transaction.
 */
export async function addPriceEntry(prisma: AppPrismaClient, input: NewPriceEntry, nowMs: number, actor?: Principal): Promise<StoredPriceEntry> {
  if (input.gpuModel.trim().length === 0) throw new ServiceError(400, "gpuModel: must not be empty", "gpuModel");
  let costPerGpuHour = input.costPerGpuHour;
  let tco: (TcoInputs & TcoBreakdown) | null = null;
  if (input.tco) {
    try {
      tco = { ...input.tco, ...tcoCostPerGpuHour(input.tco) };
    } catch (error) {
      throw new ServiceError(400, `tco.${(error as Error).message}`, "tco");
    }
    costPerGpuHour = tco.costPerGpuHour;
  }
  if (costPerGpuHour === undefined || !Number.isFinite(costPerGpuHour) || costPerGpuHour < 0) {
    throw new ServiceError(400, "costPerGpuHour: a non-negative number is required (or tco inputs)", "costPerGpuHour");
  }
  const currency = (input.currency ?? "USD").toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new ServiceError(400, `currency: "${input.currency}" is not an ISO 4217 code`, "currency");
  if (input.effectiveToMs != null && input.effectiveToMs <= input.effectiveFromMs) {
    throw new ServiceError(400, "effectiveTo: must be after effectiveFrom", "effectiveTo");
  }
  return prisma.$transaction(async (tx) => {
    const row = await tx.priceBookEntry.create({
      data: {
        gpuModel: input.gpuModel.trim(),
        costPerGpuHour,
        currency,
        source: input.source ?? (tco ? "on-prem-tco" : "cloud-on-demand"),
        effectiveFromMs: BigInt(input.effectiveFromMs),
        effectiveToMs: input.effectiveToMs == null ? null : BigInt(input.effectiveToMs),
        nodeLabelKey: input.nodeLabel?.key ?? null,
        nodeLabelValue: input.nodeLabel?.value ?? null,
        tcoInputsJson: tco ? JSON.stringify(tco) : null,
        note: input.note ?? null,
        createdAtMs: BigInt(nowMs),
      },
    });
    const stored = toStored(row);
    if (actor) await recordAudit(tx, { atMs: nowMs, actor, action: "price.add", target: `price:${row.id}`, before: null, after: stored });
    return stored;
  });
}

type PriceRow = Awaited<ReturnType<AppPrismaClient["priceBookEntry"]["create"]>>;

function toStored(row: PriceRow): StoredPriceEntry {
  return {
    id: row.id,
    gpuModel: row.gpuModel,
    costPerGpuHour: row.costPerGpuHour,
    currency: row.currency,
    source: row.source,
    effectiveFromMs: Number(row.effectiveFromMs),
    effectiveToMs: row.effectiveToMs === null ? null : Number(row.effectiveToMs),
    nodeLabelKey: row.nodeLabelKey,
    nodeLabelValue: row.nodeLabelValue,
    tco: row.tcoInputsJson ? (JSON.parse(row.tcoInputsJson) as TcoInputs & TcoBreakdown) : null,
    note: row.note,
  };
}

export async function listPriceEntries(prisma: AppPrismaClient): Promise<StoredPriceEntry[]> {
  const rows = await prisma.priceBookEntry.findMany({ orderBy: [{ gpuModel: "asc" }, { effectiveFromMs: "asc" }, { id: "asc" }] });
  return rows.map(toStored);
}
