import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../support/test-databases";

/** The models of a schema file, without its generator and datasource blocks and comments. */
function models(dialect: string): string {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, "prisma", dialect, "schema.prisma"), "utf8");
  return text
    .replace(/\/\/.*$/gm, "")
    .replace(/(generator|datasource) \w+ \{[^}]*\}/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

describe("prisma schemas", () => {
  it("hold the same models for SQLite and PostgreSQL", () => {
    expect(models("postgresql")).toBe(models("sqlite"));
  });

  it("ship a migration folder of the same names for both", () => {
    const names = (dialect: string) =>
      fs.readdirSync(path.join(PROJECT_ROOT, "prisma", dialect, "migrations")).filter((name) => !name.endsWith(".toml"));
    expect(names("postgresql")).toEqual(names("sqlite"));
  });
});
