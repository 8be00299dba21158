import { describe, expect, it } from "vitest";
import { gpusForTitle } from "../../../solver/plan/build-actions";

describe("gpusForTitle", () => {
  it("writes whole GPUs plainly and summed GPU shares to two decimals, without float noise", () => {
    expect(gpusForTitle(8)).toBe("8");
    expect(gpusForTitle(6.3100000000000005)).toBe("6.31");
    expect(gpusForTitle(2.9999999999)).toBe("3");
    expect(gpusForTitle(0.5)).toBe("0.5");
  });
});
