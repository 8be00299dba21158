import type { Principal } from "../../auth/principal";
import { z } from "zod";
import type { AppPrismaClient } from "../../db/prisma-client";
import { addPriceEntry, listPriceEntries, type NewPriceEntry } from "../../services/price-book-service";
import { requireAdmin } from "./admin-auth";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";
import { readJsonBody } from "./read-request-body";

const rfc3339 = z.iso.datetime({ offset: true });

export const newPriceSchema = z
  .object({
    gpuModel: z.string().min(1).max(128),
    costPerGpuHour: z.number().nonnegative().optional(),
    tco: z
      .object({
        purchasePricePerGpu: z.number().nonnegative(),
        amortizationMonths: z.number().positive(),
        powerDrawW: z.number().nonnegative(),
        electricityPricePerKwh: z.number().nonnegative(),
        pue: z.number().min(1),
        yearlyOverheadPerGpu: z.number().nonnegative(),
      })
      .optional(),
    currency: z.string().regex(/^[A-Za-z]{3}$/, "an ISO 4217 code such as USD").default("USD"),
    source: z.enum(["cloud-on-demand", "cloud-reserved", "on-prem-tco"]).optional(),
    effectiveFrom: rfc3339,
    effectiveTo: rfc3339.nullish(),
    nodeLabel: z.object({ key: z.string().min(1).max(128), value: z.string().max(256) }).nullish(),
    note: z.string().max(500).nullish(),
  })
  .refine((price) => (price.costPerGpuHour === undefined) !== (price.tco === undefined), {
    message: "give exactly one of costPerGpuHour and tco",
    path: ["costPerGpuHour"],
  });

/** A validated price request (REST body or tRPC input) as the price book service takes it. */
export function newPriceEntryFrom(price: z.output<typeof newPriceSchema>): NewPriceEntry {
  return {
    gpuModel: price.gpuModel,
    costPerGpuHour: price.costPerGpuHour,
    tco: price.tco,
    currency: price.currency,
    source: price.source,
    effectiveFromMs: Date.parse(price.effectiveFrom),
    effectiveToMs: price.effectiveTo ? Date.parse(price.effectiveTo) : null,
    nodeLabel: price.nodeLabel ?? null,
    note: price.note ?? null,
  };
}

export interface PricesContext {
  prisma: AppPrismaClient;
  adminToken: string | undefined;
  /** The principal the route resolved (a signed-in admin or an admin's API token may write; see requireAdmin). */
  signedIn?: Principal | null;
  nowMs: () => number;
}

/** GET /api/v1/prices: the price book. */
export async function handleListPrices(context: PricesContext): Promise<Response> {
  try {
    return jsonResponse({ prices: await listPriceEntries(context.prisma) });
  } catch (error) {
    return responseForError(error);
  }
}

/** POST /api/v1/prices (admin): adds a cloud rate or an on-prem cost of ownership for a GPU model. */
export async function handleAddPrice(request: Request, context: PricesContext): Promise<Response> {
  try {
    const actor = requireAdmin(request, context.adminToken, context.signedIn);
    const price = parseOrThrow(newPriceSchema, await readJsonBody(request, 64 * 1024));
    const entry = await addPriceEntry(context.prisma, newPriceEntryFrom(price), context.nowMs(), actor);
    return jsonResponse(entry, 201);
  } catch (error) {
    return responseForError(error);
  }
}
