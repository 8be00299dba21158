import { describe, expect, it } from "vitest";
import { isMigrationLockTimeout, isSqliteBusyFailure } from "../../../server/db/migrations";

describe("isMigrationLockTimeout", () => {
  it("recognises Prisma's lock timeout, which is worth another attempt", () => {
    const prismaOutput =
      "prisma migrate deploy failed (exit 1):\nError: Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(72707369)). Timeout: 10000ms. See https://pris.ly/d/migrate-advisory-locking for details.";
    expect(isMigrationLockTimeout(prismaOutput)).toBe(true);
  });

  it("leaves every other failure to be reported at once", () => {
    expect(isMigrationLockTimeout("prisma migrate deploy failed (exit 1):\nError: P1001: Can't reach database server at `127.0.0.1:5432`")).toBe(false);
    expect(isMigrationLockTimeout("Error: P3009: migrate found failed migrations in the target database")).toBe(false);
  });
});

describe("isSqliteBusyFailure", () => {
  it("recognises the schema engine's report of a busy SQLite file", () => {
    expect(isSqliteBusyFailure("Error: Error in the underlying connector (WASM_ERROR): Error: unknown variant `SocketTimeout`, expected one of `GenericJs`")).toBe(true);
  });

  it("leaves other failures alone", () => {
    expect(isSqliteBusyFailure("Error: P3009: migrate found failed migrations in the target database")).toBe(false);
  });
});
