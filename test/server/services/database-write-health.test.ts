import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../../server/api/rest/http-responses";
import { isDatabaseWriteFailure } from "../../../server/services/database-write-health";

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe("isDatabaseWriteFailure", () => {
  it("recognises SQLite's read-only, I/O and disk-full codes (extended ones too) and PostgreSQL's read-only, disk, memory and I/O states", () => {
    for (const code of ["SQLITE_READONLY", "SQLITE_READONLY_DBMOVED", "SQLITE_IOERR", "SQLITE_IOERR_WRITE", "SQLITE_FULL", "25006", "53100", "53000", "53200", "58030"]) {
      expect(isDatabaseWriteFailure(withCode(code)), code).toBe(true);
      // Answered 503 with Retry-After, like a database that cannot be reached.
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
  });

  it("leaves constraint violations, syntax errors and lookalike codes to the other answers", () => {
    for (const code of ["SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_ERROR", "SQLITE_READONLYX", "SQLITE_FULLY", "23505", "42601", "22003"]) {
      expect(isDatabaseWriteFailure(withCode(code)), code).toBe(false);
    }
    expect(isDatabaseWriteFailure(new Error("disk full"))).toBe(false);
  });
});
