/**
 * npm run estimate -- --gpu-model MODEL --gpus N --hours H [--json]
 * npm run estimate -- --like EXPERIMENT [--scale N] [--json]
 *
 * What an experiment will cost before it is launched, from the database
 * DATABASE_URL names (the same figures as POST /api/v1/estimate).
 */
import { parseArgs } from "node:util";
import { estimateFromBody, estimateRequestSchema } from "../server/api/rest/estimate-handler";
import { parseOrThrow } from "../server/api/rest/http-responses";
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from "../server/db/database-url";
import { openSqlDatabase } from "../server/db/server-database";
import { ALL_DATA } from "../server/auth/principal";

const money = (value: number, currency: string) => `${value.toFixed(2)} ${currency}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "gpu-model": { type: "string" },
      gpus: { type: "string" },
      hours: { type: "string" },
      like: { type: "string" },
      scale: { type: "string", default: "1" },
      json: { type: "boolean", default: false },
    },
  });
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  const body = parseOrThrow(estimateRequestSchema, {
    gpuModel: values["gpu-model"],
    gpuCount: number(values.gpus),
    hours: number(values.hours),
    likeExperiment: values.like,
    scale: number(values.scale),
  });
  const sql = openSqlDatabase(parseDatabaseUrl(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, process.cwd()));
  try {
    const result = await estimateFromBody(sql, body, Date.now(), ALL_DATA);
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    const c = result.currency;
    console.log(`${result.plannedGpuHours.toFixed(1)} GPU-hours on ${result.gpuModel} at ${money(result.costPerGpuHour, c)}/GPU-hour`);
    console.log(`expected cost ${money(result.expectedCost, c)}` + (result.costRange ? ` (range ${money(result.costRange.low, c)} to ${money(result.costRange.high, c)})` : ""));
    if (result.expectedEfficiency !== null) {
      console.log(`similar runs: ${result.similarRuns}, median efficiency ${(result.expectedEfficiency * 100).toFixed(0)} %, expected waste ${money(result.expectedWasteCost ?? 0, c)}`);
    }
    for (const alternative of result.alternatives.slice(0, 3)) {
      console.log(`alternative: ${alternative.gpuModel}, ${alternative.gpuHours.toFixed(1)} GPU-hours, ${money(alternative.expectedCost, c)} (${money(alternative.pricePerUnitOfWork, c)} per A100-hour of work)`);
    }
    if (result.offPeak) {
      const day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][Math.floor(result.offPeak.startHourOfWeek / 24)];
      console.log(`off-peak start: ${day} ${String(result.offPeak.startHourOfWeek % 24).padStart(2, "0")}:00 UTC, at least ${result.offPeak.minFreeGpus.toFixed(1)} GPUs free on average (${result.offPeak.minFreeGpusNow.toFixed(1)} if started now)`);
    }
    for (const note of result.notes) console.log(`note: ${note}`);
  } finally {
    await sql.close();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
