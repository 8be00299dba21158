/**
 * Another process with a read transaction open on a SQLite file, as `sqlite3
 * FILE ".backup ..."` holds one while it copies: better-sqlite3 in a child
 * process that runs BEGIN and a SELECT, then waits until released.
 */
import { spawn } from "node:child_process";
import { PROJECT_ROOT } from "./test-databases";

export interface SqliteReaderProcess {
  /** Ends the transaction and the process. */
  release(): Promise<void>;
}

const READER_SCRIPT = `
const Database = require("better-sqlite3");
const db = new Database(process.argv[1], { fileMustExist: true });
db.exec("BEGIN");
db.prepare("SELECT COUNT(*) AS n FROM sqlite_master").get();
process.stdout.write("holding\\n");
process.stdin.on("end", () => { db.exec("COMMIT"); db.close(); process.exit(0); });
process.stdin.resume();
`;

export async function holdSqliteReadTransaction(filePath: string): Promise<SqliteReaderProcess> {
  const child = spawn(process.execPath, ["-e", READER_SCRIPT, filePath], { cwd: PROJECT_ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    void exited.then(() => reject(new Error(`the reader process exited before it held the file: ${stderr}`)));
  });
  return {
    async release() {
      child.stdin!.end();
      await exited;
    },
  };
}
