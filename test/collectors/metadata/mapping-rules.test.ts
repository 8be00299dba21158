import { describe, expect, it } from "vitest";
import { applyRules, DEFAULT_MAPPING_RULES, parseMappingRules } from "../../../collectors/metadata/mapping-rules";

describe("parseMappingRules", () => {
  it("replaces the fields a file gives and keeps the defaults of the others", () => {
    const rules = parseMappingRules(JSON.stringify({ kubernetes: { team: ["label:cost-center", "=unassigned"] }, slurm: { experiment: [] } }), "rules.json");
    expect(rules.kubernetes.team).toEqual(["label:cost-center", "=unassigned"]);
    expect(rules.kubernetes.project).toEqual(DEFAULT_MAPPING_RULES.kubernetes.project);
    expect(rules.slurm.experiment).toEqual([]);
    expect(rules.slurm.team).toEqual(["account"]);
  });

  it("refuses a source that does not exist, naming the file and the field", () => {
    expect(() => parseMappingRules(JSON.stringify({ kubernetes: { team: ["namespace", "labels:team"] } }), "/etc/gpu-roi/rules.json")).toThrow(
      "/etc/gpu-roi/rules.json: kubernetes.team[1]: must be namespace, pod, owner, ownerKind, label:KEY, annotation:KEY or =TEXT",
    );
    expect(() => parseMappingRules(JSON.stringify({ slurm: { team: ["namespace"] } }), "rules.json")).toThrow(/^rules\.json: slurm\.team\[0\]: must be one of account, partition/);
  });

  it("refuses unknown fields and text that is not JSON", () => {
    expect(() => parseMappingRules(JSON.stringify({ kubernetes: { cost: ["namespace"] } }), "rules.json")).toThrow(/^rules\.json: kubernetes: /);
    expect(() => parseMappingRules("team: namespace", "rules.json")).toThrow(/^rules\.json: not JSON/);
  });
});

describe("applyRules", () => {
  it("takes the first source with a non-empty value, constants included", () => {
    const values = { "label:team": "  ", namespace: "vision", "label:model": "resnet" } as Record<string, string>;
    expect(applyRules({ team: ["label:team", "namespace"], project: ["label:project", "=shared"], model: ["label:model"], experiment: ["label:nothing"] }, (source) => values[source])).toEqual({
      team: "vision",
      project: "shared",
      model: "resnet",
    });
  });

  it("cuts values to the 256 characters a job name may have", () => {
    expect(applyRules({ team: ["namespace"] }, () => "x".repeat(300)).team).toHaveLength(256);
  });
});
