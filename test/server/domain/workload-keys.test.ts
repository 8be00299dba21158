import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clusterScopedKey, describeWorkload, suffixableId, workloadKey } from "../../../server/domain/workload-keys";

describe("workloadKey", () => {
  it("is readable for ordinary names and tells clusters apart", () => {
    expect(workloadKey({ cluster: "east", externalId: "slurm-1001" })).toBe("east/slurm-1001");
    expect(workloadKey({ cluster: "west", externalId: "slurm-1001" })).not.toBe(workloadKey({ cluster: "east", externalId: "slurm-1001" }));
    expect(workloadKey({ cluster: "east", externalId: "k8s-ml/trainer-0" })).toBe("east/k8s-ml%2Ftrainer-0");
  });

  it("never gives two different (cluster, id) pairs the same key, nor a key with @", () => {
    const part = fc.string({ unit: fc.constantFrom("a", "/", "%", "@", "2", "F", "4", "0") as fc.Arbitrary<string>, maxLength: 6 });
    fc.assert(
      fc.property(part, part, part, part, (c1, e1, c2, e2) => {
        const same = c1 === c2 && e1 === e2;
        expect(clusterScopedKey(c1, e1) === clusterScopedKey(c2, e2)).toBe(same);
        expect(clusterScopedKey(c1, e1)).not.toContain("@");
      }),
      { numRuns: 2000 },
    );
  });
});

describe("suffixableId", () => {
  it("keeps ids apart once a @<part> suffix is added", () => {
    expect(suffixableId("slurm-1001")).toBe("slurm-1001");
    expect(`${suffixableId("x@0")}`).not.toBe(`${suffixableId("x")}@0`);
    expect(suffixableId("k8s-ml/trainer-0")).toBe("k8s-ml/trainer-0");
  });
});

describe("describeWorkload", () => {
  it("shows the cluster beside the id", () => {
    expect(describeWorkload({ cluster: "east", externalId: "slurm-1001" })).toBe("slurm-1001 (east)");
  });
});
