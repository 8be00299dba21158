/**
 * npm run admin -- issue-token --cluster NAME --hostname HOST
 *
 * Registers a node and prints a new collector token for it (shown once; only its
 * hash is stored). Runs against the database DATABASE_URL names: whoever can run
 * it on the server already has the database, so it needs no admin token.
 */
import { parseArgs } from "node:util";
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from "../server/db/database-url";
import { createPrismaClient } from "../server/db/prisma-client";
import { issueNodeToken } from "../server/services/node-tokens";

const USAGE = "usage: npm run admin -- issue-token --cluster NAME --hostname HOST [--json]";

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== "issue-token") throw new Error(USAGE);
  const { values } = parseArgs({
    args: rest,
    options: { cluster: { type: "string", default: "default" }, hostname: { type: "string" }, json: { type: "boolean", default: false } },
  });
  if (!values.hostname) throw new Error(`--hostname is required\n${USAGE}`);
  const target = parseDatabaseUrl(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, process.cwd());
  const prisma = createPrismaClient(target);
  try {
    const issued = await issueNodeToken(prisma, { clusterName: values.cluster!, hostname: values.hostname, nowMs: Date.now() });
    if (values.json) console.log(JSON.stringify(issued));
    else {
      console.log(`node ${issued.hostname} (cluster ${issued.clusterName}): token issued; it is shown only now:`);
      console.log(issued.token);
    }
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
