/** npm run db:migrate: applies pending migrations to the database DATABASE_URL names. */
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from "../server/db/database-url";
import { applyMigrations } from "../server/db/migrations";

const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const target = parseDatabaseUrl(url, process.cwd());
console.log(`gpu-roi: migrating ${target.dialect === "sqlite" ? target.sqliteFilePath : "PostgreSQL"} ...`);
applyMigrations(process.cwd(), url, { log: (line) => console.log(`gpu-roi: ${line}`) }).then(
  () => console.log("gpu-roi: migrations are current"),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
