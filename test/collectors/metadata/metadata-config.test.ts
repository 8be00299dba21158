import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAPPING_RULES } from "../../../collectors/metadata/mapping-rules";
import { createMetadataEnricher, loadMappingRules, NO_METADATA } from "../../../collectors/metadata/metadata-config";

describe("loadMappingRules", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gpu-roi-rules-"));
    writeFileSync(path.join(dir, "rules.json"), JSON.stringify({ slurm: { project: ["partition"] } }));
    writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ slurm: { project: ["label:x"] } }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the rules file, or gives the defaults without one", () => {
    expect(loadMappingRules(path.join(dir, "rules.json")).slurm.project).toEqual(["partition"]);
    expect(loadMappingRules(null)).toBe(DEFAULT_MAPPING_RULES);
  });

  it("takes rules given inline as JSON, as one environment variable holds them", () => {
    expect(loadMappingRules('{"slurm": {"team": ["partition"]}}').slurm.team).toEqual(["partition"]);
    expect(() => loadMappingRules('{"slurm": {"team": ["pod"]}}')).toThrow(/^--mapping-rules: slurm\.team\[0\]: /);
  });

  it("names a file it cannot read", () => {
    expect(() => loadMappingRules(path.join(dir, "missing.json"))).toThrow(`${path.join(dir, "missing.json")}: cannot read mapping rules (ENOENT`);
  });

  it("stops the collector's start on a bad rules file even when no metadata source is on", () => {
    const log = () => undefined;
    expect(() => createMetadataEnricher({ ...NO_METADATA, rulesFile: path.join(dir, "bad.json") }, { now: Date.now, log })).toThrow(/bad\.json: slurm\.project\[0\]: must be one of account/);
    expect(createMetadataEnricher({ ...NO_METADATA, rulesFile: path.join(dir, "rules.json") }, { now: Date.now, log })).toBeNull();
    expect(createMetadataEnricher({ ...NO_METADATA, slurm: "scontrol" }, { now: Date.now, log })).not.toBeNull();
  });
});
