import { describe, expect, it } from "vitest";
import { isTransientConflict, retryTransientConflicts } from "../../../server/db/sql-database";

const conflict = (code: string) => Object.assign(new Error(`conflict ${code}`), { code });

describe("isTransientConflict", () => {
  it("is true for PostgreSQL deadlocks and serialization failures only", () => {
    expect(isTransientConflict(conflict("40P01"))).toBe(true);
    expect(isTransientConflict(conflict("40001"))).toBe(true);
    expect(isTransientConflict(conflict("23505"))).toBe(false);
    expect(isTransientConflict(new Error("boom"))).toBe(false);
    expect(isTransientConflict(null)).toBe(false);
  });
});

describe("retryTransientConflicts", () => {
  it("runs the transaction again after a deadlock and returns its result", async () => {
    let attempts = 0;
    const result = await retryTransientConflicts(async () => {
      attempts += 1;
      if (attempts < 3) throw conflict("40P01");
      return "stored";
    }, 3, () => 0);
    expect(result).toBe("stored");
    expect(attempts).toBe(3);
  });

  it("gives up after maxAttempts with the last conflict", async () => {
    let attempts = 0;
    const failure = retryTransientConflicts(async () => {
      attempts += 1;
      throw conflict("40001");
    }, 2, () => 0);
    await expect(failure).rejects.toThrow("conflict 40001");
    expect(attempts).toBe(2);
  });

  it("does not retry other errors", async () => {
    let attempts = 0;
    await expect(
      retryTransientConflicts(async () => {
        attempts += 1;
        throw conflict("23505");
      }),
    ).rejects.toThrow("conflict 23505");
    expect(attempts).toBe(1);
  });
});
