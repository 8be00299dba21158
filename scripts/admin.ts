/**
 * npm run admin -- COMMAND [options]: administration against the database
 * DATABASE_URL names. Whoever can run it on the server already has the database,
 * so it needs no admin token. Its changes (tokens, prices, runs) are audited with
 * the actor "cli" (kind break-glass).
 *
 *   issue-token --cluster NAME --hostname HOST [--json]
 *       registers a node and prints a new collector token (shown once; only its hash is stored)
 *   set-price --model "NVIDIA H100 80GB HBM3" --cost-per-gpu-hour 2.50 [--currency USD]
 *             [--source cloud-on-demand|cloud-reserved] [--from RFC3339] [--to RFC3339]
 *             [--label KEY=VALUE] [--note TEXT]
 *   set-price --model M --tco purchase=30000,months=36,watts=1000,kwh=0.12,pue=1.4,overhead=2500 [...]
 *       adds a price (on-prem: computed from cost-of-ownership inputs) and prints it
 *   list-prices [--json]
 *   rebuild-rollups --from RFC3339 --to RFC3339
 *       recomputes the hourly rollups from the raw windows still kept
 *   run-recommendations [--lookback-days 14] [--at RFC3339] [--json]
 *                       [--exclude-workload CLUSTER/ID]... [--exclude-node CLUSTER/HOSTNAME]...
 *       runs the optimizer (the fleet plan) now, or as of --at (for cron where the server is not
 *       started by npm start; the server's on-demand runs use it too); steps are printed to stderr;
 *       excluded workloads and nodes are left as they are (what-if); the audit log names the
 *       admin CLI as who ran it (the server's on-demand runs pass who asked as --actor-json)
 *   export-plan-input --out FILE [--lookback-days 14] [--at RFC3339]
 *                     [--exclude-workload CLUSTER/ID]... [--exclude-node CLUSTER/HOSTNAME]...
 *       writes the fleet plan's usage file (the plan input without prices) for
 *       `npm run --silent solver -- plan --usage FILE --prices PRICES.json --json`
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import type { Principal } from "../server/auth/principal";
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from "../server/db/database-url";
import { createPrismaClient } from "../server/db/prisma-client";
import { openSqlDatabase } from "../server/db/server-database";
import { TCO_INPUT_KEYS, type TcoInputs } from "../server/domain/pricing";
import { CLI_PRINCIPAL } from "../server/services/audit-log";
import { issueNodeToken } from "../server/services/node-tokens";
import { addPriceEntry, listPriceEntries, type PriceSource } from "../server/services/price-book-service";
import { RUN_ALREADY_IN_PROGRESS_EXIT_CODE, RUN_BAD_REQUEST_EXIT_CODE } from "../server/services/recommendation-runner";
import { ServiceError } from "../server/services/service-error";
import { loadPlanInput } from "../server/services/plan-input-service";
import { runRecommendations } from "../server/services/recommendation-service";
import { rebuildHourlyRollups } from "../server/services/rollup-service";

const USAGE = `usage: npm run admin -- issue-token | set-price | list-prices | rebuild-rollups | run-recommendations | export-plan-input [options]
(see the README's "Administration" section)`;

function parseTime(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`--${name}: "${text}" is not an RFC 3339 time`);
  return ms;
}

const TCO_KEYS: Record<string, keyof TcoInputs> = TCO_INPUT_KEYS;

function parseTco(text: string): TcoInputs {
  const values: Partial<TcoInputs> = {};
  for (const part of text.split(",")) {
    const [key, raw] = part.split("=");
    const field = TCO_KEYS[key?.trim()];
    const value = Number(raw);
    if (!field || raw === undefined || !Number.isFinite(value)) throw new Error(`--tco: "${part}" is not one of ${Object.keys(TCO_KEYS).join(", ")}=NUMBER`);
    values[field] = value;
  }
  const missing = Object.entries(TCO_KEYS).filter(([, field]) => values[field] === undefined).map(([key]) => key);
  if (missing.length > 0) throw new Error(`--tco: missing ${missing.join(", ")}`);
  return values as TcoInputs;
}

/** Who asked for a run, as the server's runner passes it (--actor-json): checked, since it lands in the audit log. */
const actorSchema = z.object({
  kind: z.enum(["open", "session", "api-token", "break-glass"]),
  subject: z.string().min(1).max(500),
  displayName: z.string().max(500),
  role: z.enum(["admin", "analyst", "member"]),
  teams: z.array(z.string().max(500)).max(1000),
  apiTokenId: z.string().max(100).optional(),
});

function parseActor(text: string | undefined): Principal {
  if (text === undefined) return CLI_PRINCIPAL;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`--actor-json: not valid JSON (${(error as Error).message})`);
  }
  const actor = actorSchema.safeParse(parsed);
  if (!actor.success) throw new Error(`--actor-json: ${actor.error.issues[0].path.join(".")}: ${actor.error.issues[0].message}`);
  return actor.data;
}

/** The options a plan run and a plan input export share. */
const PLAN_RUN_OPTIONS = {
  "lookback-days": { type: "string", default: "14" },
  at: { type: "string" },
  "exclude-workload": { type: "string", multiple: true },
  "exclude-node": { type: "string", multiple: true },
} as const;

function planRunArguments(values: { "lookback-days"?: string; at?: string; "exclude-workload"?: string[]; "exclude-node"?: string[] }): {
  lookbackDays: number;
  nowMs: number;
  exclude: { workloads: string[]; nodes: string[] };
} {
  const lookbackDays = Number(values["lookback-days"]);
  if (!Number.isFinite(lookbackDays) || lookbackDays <= 0 || lookbackDays > 400) throw new Error(`--lookback-days: expected 1 to 400, got "${values["lookback-days"]}"`);
  for (const [flag, keys] of [["exclude-workload", values["exclude-workload"]], ["exclude-node", values["exclude-node"]]] as const) {
    for (const key of keys ?? []) if (!key.includes("/")) throw new Error(`--${flag}: "${key}" is not CLUSTER/NAME`);
  }
  return { lookbackDays, nowMs: parseTime("at", values.at) ?? Date.now(), exclude: { workloads: values["exclude-workload"] ?? [], nodes: values["exclude-node"] ?? [] } };
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const target = parseDatabaseUrl(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, process.cwd());
  const prisma = createPrismaClient(target);
  try {
    if (command === "issue-token") {
      const { values } = parseArgs({
        args: rest,
        options: { cluster: { type: "string", default: "default" }, hostname: { type: "string" }, json: { type: "boolean", default: false } },
      });
      if (!values.hostname) throw new Error(`--hostname is required\n${USAGE}`);
      const issued = await issueNodeToken(prisma, { clusterName: values.cluster!, hostname: values.hostname, nowMs: Date.now(), actor: CLI_PRINCIPAL });
      if (values.json) console.log(JSON.stringify(issued));
      else console.log(`node ${issued.hostname} (cluster ${issued.clusterName}): token issued; it is shown only now:\n${issued.token}`);
    } else if (command === "set-price") {
      const { values } = parseArgs({
        args: rest,
        options: {
          model: { type: "string" },
          "cost-per-gpu-hour": { type: "string" },
          tco: { type: "string" },
          currency: { type: "string", default: "USD" },
          source: { type: "string" },
          from: { type: "string" },
          to: { type: "string" },
          label: { type: "string" },
          note: { type: "string" },
        },
      });
      if (!values.model) throw new Error(`--model is required\n${USAGE}`);
      if ((values["cost-per-gpu-hour"] === undefined) === (values.tco === undefined)) {
        throw new Error("give exactly one of --cost-per-gpu-hour and --tco");
      }
      let nodeLabel = null;
      if (values.label) {
        const [key, value] = values.label.split("=");
        if (!key || value === undefined) throw new Error(`--label: "${values.label}" is not KEY=VALUE`);
        nodeLabel = { key, value };
      }
      const entry = await addPriceEntry(
        prisma,
        {
          gpuModel: values.model,
          costPerGpuHour: values["cost-per-gpu-hour"] === undefined ? undefined : Number(values["cost-per-gpu-hour"]),
          tco: values.tco ? parseTco(values.tco) : undefined,
          currency: values.currency,
          source: values.source as PriceSource | undefined,
          effectiveFromMs: parseTime("from", values.from) ?? Date.now(),
          effectiveToMs: parseTime("to", values.to) ?? null,
          nodeLabel,
          note: values.note ?? null,
        },
        Date.now(),
        CLI_PRINCIPAL,
      );
      console.log(JSON.stringify(entry, null, 2));
    } else if (command === "list-prices") {
      const { values } = parseArgs({ args: rest, options: { json: { type: "boolean", default: false } } });
      const entries = await listPriceEntries(prisma);
      if (values.json) console.log(JSON.stringify(entries, null, 2));
      else {
        for (const entry of entries) {
          const until = entry.effectiveToMs === null ? "" : ` until ${new Date(entry.effectiveToMs).toISOString()}`;
          const label = entry.nodeLabelKey ? ` on nodes ${entry.nodeLabelKey}=${entry.nodeLabelValue}` : "";
          console.log(`${entry.gpuModel}: ${entry.costPerGpuHour.toFixed(4)} ${entry.currency}/GPU-hour (${entry.source})${label} from ${new Date(entry.effectiveFromMs).toISOString()}${until}`);
        }
      }
    } else if (command === "export-plan-input") {
      const { values } = parseArgs({ args: rest, options: { out: { type: "string" }, ...PLAN_RUN_OPTIONS } });
      if (!values.out) throw new Error(`--out FILE is required\n${USAGE}`);
      const run = planRunArguments(values);
      const sql = openSqlDatabase(target);
      try {
        const { input, leftOut } = await loadPlanInput(sql, { nowMs: run.nowMs, lookbackDays: run.lookbackDays, exclude: run.exclude });
        // The usage file is the plan's input without the price book (prices come from GET /api/v1/prices).
        const { prices: _prices, ...usage } = input;
        fs.writeFileSync(values.out, JSON.stringify(usage, null, 2) + "\n");
        for (const line of leftOut) console.error(`note: ${line}`);
        console.log(`${values.out}: ${usage.workloads.length} workloads on ${usage.nodes.length} nodes`);
      } finally {
        await sql.close();
      }
    } else if (command === "run-recommendations") {
      const { values } = parseArgs({ args: rest, options: { ...PLAN_RUN_OPTIONS, json: { type: "boolean", default: false }, "actor-json": { type: "string" } } });
      const { lookbackDays, nowMs, exclude } = planRunArguments(values);
      const actor = parseActor(values["actor-json"]);
      const sql = openSqlDatabase(target);
      try {
        // Steps go to stderr so that --json output stays clean (the server's runner reads both).
        const onProgress = (step: string) => process.stderr.write(`progress: ${step}\n`);
        // One run at a time per database (replicas, cron, the schedule): the others stop here.
        const outcome = await sql.runExclusive("recommendations", () => runRecommendations(sql, prisma, { nowMs, lookbackDays, exclude, onProgress, actor }));
        if (!outcome.ran) {
          console.error("recommendations: another process is running the optimizer on this database; try again when it ends");
          process.exitCode = RUN_ALREADY_IN_PROGRESS_EXIT_CODE;
          return;
        }
        const stored = outcome.result;
        if (values.json) console.log(JSON.stringify(stored, null, 2));
        else {
          for (const recommendation of stored) {
            console.log(`#${recommendation.id} ${recommendation.kind}: ${recommendation.title} (${Math.round(recommendation.projectedMonthlySaving)} ${recommendation.currency ?? ""}/month)`);
          }
          console.log(`${stored.length} recommendations stored`);
        }
      } finally {
        await sql.close();
      }
    } else if (command === "rebuild-rollups") {
      const { values } = parseArgs({ args: rest, options: { from: { type: "string" }, to: { type: "string" } } });
      const fromMs = parseTime("from", values.from);
      const toMs = parseTime("to", values.to);
      if (fromMs === undefined || toMs === undefined) throw new Error("--from and --to are required");
      const sql = openSqlDatabase(target);
      try {
        await rebuildHourlyRollups(sql, fromMs, toMs, (doneMs, totalMs) => process.stdout.write(`\rrebuilding rollups: ${Math.round((100 * doneMs) / totalMs)}%`));
        console.log("\nrollups rebuilt");
      } finally {
        await sql.close();
      }
    } else {
      throw new Error(USAGE);
    }
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  // A request the server passed on (an exclusion naming nothing) is the caller's error: the server answers 400.
  process.exit(error instanceof ServiceError && error.status === 400 ? RUN_BAD_REQUEST_EXIT_CODE : 1);
});
