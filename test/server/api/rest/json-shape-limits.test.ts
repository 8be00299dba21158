import { describe, expect, it } from "vitest";
import { jsonShapeLimitsFor, jsonShapeViolation } from "../../../../server/api/rest/json-shape-limits";

const limits = { maxDepth: 3, maxElements: 10 };

describe("jsonShapeViolation", () => {
  it("accepts nesting up to the depth limit and refuses one level more, of arrays and objects alike", () => {
    expect(jsonShapeViolation('[{"a":[1]}]', limits)).toBeNull();
    expect(jsonShapeViolation('[{"a":[[1]]}]', limits)).toEqual({ kind: "depth", limit: 3 });
    expect(jsonShapeViolation('{"a":{"b":{"c":{}}}}', limits)).toEqual({ kind: "depth", limit: 3 });
    // Closed containers give their depth back.
    expect(jsonShapeViolation("[[[]],[[]],[[]]]", limits)).toBeNull();
  });

  it("counts arrays, objects and the items after the first in each, and refuses one element over the limit", () => {
    // 1 array + 9 commas = 10 elements.
    expect(jsonShapeViolation("[0,1,2,3,4,5,6,7,8,9]", limits)).toBeNull();
    expect(jsonShapeViolation("[0,1,2,3,4,5,6,7,8,9,10]", limits)).toEqual({ kind: "elements", limit: 10 });
    expect(jsonShapeViolation("[[],[],[],[],[],[]]", limits)).toEqual({ kind: "elements", limit: 10 });
  });

  it("ignores brackets and commas inside strings, escaped quotes and backslashes included", () => {
    expect(jsonShapeViolation(JSON.stringify({ a: "[[[[[[,,,,,,,,,,,,{{{{" }), limits)).toBeNull();
    expect(jsonShapeViolation(JSON.stringify({ a: 'say "[[[[[[" \\', b: "\\\"[[[[[[" }), limits)).toBeNull();
    // After a string that ends in a backslash, the brackets count again.
    expect(jsonShapeViolation(`[${JSON.stringify("\\")},[[[1]]]]`, limits)).toEqual({ kind: "depth", limit: 3 });
  });

  it("leaves malformed text to JSON.parse", () => {
    expect(jsonShapeViolation('["unterminated', limits)).toBeNull();
    expect(jsonShapeViolation("]]]]", limits)).toBeNull();
  });
});

describe("jsonShapeLimitsFor", () => {
  it("allows 64 levels and one element per 8 bytes of the body limit, at least 1,024", () => {
    expect(jsonShapeLimitsFor(16 * 1024 * 1024)).toEqual({ maxDepth: 64, maxElements: 2_097_152 });
    expect(jsonShapeLimitsFor(1024)).toEqual({ maxDepth: 64, maxElements: 1024 });
  });
});
