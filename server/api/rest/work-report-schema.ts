/** The body of POST /api/v1/work: one reading of a job's cumulative work counter. Documented in docs/api.md. */
import { z } from "zod";
import { MAX_JOB_ID_LENGTH, workUnitSchema } from "../../wire/ingest-v1";

/** Largest counter value accepted (10^18: far past any job's tokens or samples, still exact enough as a double). */
export const MAX_WORK_COUNTER = 1e18;

const text = (maxLength: number) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .refine((value) => !value.includes("\u0000"), "must not contain NUL (\\u0000) characters");

export const workReportSchema = z.object({
  jobId: text(MAX_JOB_ID_LENGTH),
  unit: workUnitSchema,
  /** The counter's value (cumulative), not an increment. */
  count: z.number().nonnegative().max(MAX_WORK_COUNTER),
  /** RFC 3339 with a zone (2026-11-02T10:00:00Z) or epoch milliseconds. */
  time: z.union([
    z.iso.datetime({ offset: true }).transform((value) => Date.parse(value)),
    z.number().int().nonnegative().max(8.64e15),
  ]),
  /** The counter restarted from zero since the previous report (a restarted job or server). */
  reset: z.boolean().default(false),
  /** The client's id for this report: a repeat is acknowledged, not counted again. */
  reportId: text(128).optional(),
});

export type WorkReportBody = z.output<typeof workReportSchema>;
