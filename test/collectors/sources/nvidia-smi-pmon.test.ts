import { describe, expect, it } from "vitest";
import { parsePmon, pmonKey } from "../../../collectors/sources/nvidia-smi-pmon";
import { CaptureParseError } from "../../../collectors/sources/parse-values";

const SAMPLE = [
  "# gpu         pid   type     sm    mem    enc    dec    jpg    ofa    command ",
  "# Idx           #    C/G      %      %      %      %      %      %    name ",
  "    0      21180     C     30      8      -      -      -      -    python         ",
  "    0      21181     C      -      2      -      -      -      -    memhog         ",
  "    1          -     -      -      -      -      -      -      -    -              ",
  "    0      21180     C     50     10      -      -      -      -    python         ",
].join("\n");

describe("parsePmon", () => {
  it("averages each process's SM utilization over its samples, keeping unsampled ones absent", () => {
    const utilization = parsePmon(SAMPLE, "pmon.txt");
    expect(utilization.get(pmonKey(0, 21180))).toBe(40);
    expect(utilization.get(pmonKey(0, 21181))).toBeNull();
    expect(utilization.size).toBe(2); // GPU 1 has no process
  });

  it("names the file, line and field of a malformed value", () => {
    const broken = SAMPLE.replace("     30 ", "    3x0 ");
    expect(() => parsePmon(broken, "pmon.txt")).toThrow(CaptureParseError);
    expect(() => parsePmon(broken, "pmon.txt")).toThrow(/pmon\.txt line 3, field sm/);
  });

  it("refuses output without a header or an sm column", () => {
    expect(() => parsePmon("0 1 C 3", "pmon.txt")).toThrow(/no pmon header/);
    expect(() => parsePmon("# gpu pid type mem command\n0 1 C 3 x", "pmon.txt")).toThrow(/no sm column/);
  });
});
