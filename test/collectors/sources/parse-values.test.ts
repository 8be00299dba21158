import { describe, expect, it } from "vitest";
import {
  CaptureParseError,
  describeLocation,
  isAbsentValue,
  migDeviceId,
  parseIntegerValue,
  parseNumberValue,
  parseTextValue,
  roundPct,
} from "../../../collectors/sources/parse-values";

const at = { source: "nvidia-smi.csv", line: 3, field: "memory.used" };

describe("isAbsentValue", () => {
  it.each([
    "[N/A]",
    "N/A",
    "[Not Supported]",
    "Not Supported",
    "[Insufficient Permissions]",
    "[Requested functionality has been deprecated]",
    "Requested functionality has been deprecated",
    "[Function Not Found]",
    "Not Found",
    "[Unknown Error]",
    "",
    "   ",
    " N/A ",
    "[Some reason a future driver invents]",
  ])("treats %j as absent", (raw) => {
    expect(isAbsentValue(raw)).toBe(true);
  });

  it("treats a missing element (undefined) and null as absent", () => {
    expect(isAbsentValue(undefined)).toBe(true);
    expect(isAbsentValue(null)).toBe(true);
  });

  it.each(["0", "0 MiB", "abc", "None"])("does not treat %j as absent", (raw) => {
    expect(isAbsentValue(raw)).toBe(false);
  });
});

describe("parseNumberValue", () => {
  it("strips the units nvidia-smi prints after values", () => {
    expect(parseNumberValue("1032 MiB", at)).toBe(1032);
    expect(parseNumberValue("26.78 W", at)).toBe(26.78);
    expect(parseNumberValue("65 %", at)).toBe(65);
    expect(parseNumberValue("405 MHz", at)).toBe(405);
    expect(parseNumberValue("31 C", at)).toBe(31);
    expect(parseNumberValue("-5 C", at)).toBe(-5);
    expect(parseNumberValue(" 40 % ", at)).toBe(40);
    expect(parseNumberValue("8.969000", at)).toBe(8.969);
  });

  it("gives null, never 0 or NaN, for absent values", () => {
    expect(parseNumberValue("[N/A]", at)).toBeNull();
    expect(parseNumberValue("N/A", at)).toBeNull();
    expect(parseNumberValue("", at)).toBeNull();
    expect(parseNumberValue(undefined, at)).toBeNull();
    expect(parseNumberValue("[Insufficient Permissions]", at)).toBeNull();
  });

  it("throws a CaptureParseError naming file, line and field for a malformed value", () => {
    expect(() => parseNumberValue("12x MiB", at)).toThrow(CaptureParseError);
    expect(() => parseNumberValue("12x MiB", at)).toThrow('nvidia-smi.csv line 3, field memory.used: "12x MiB" is not a number');
    expect(() => parseNumberValue("abc", at)).toThrow('"abc" is not a number');
  });

  it("rejects a unit other than the one expected", () => {
    expect(parseNumberValue("12 MiB", at, "MiB")).toBe(12);
    expect(parseNumberValue("12", at, "MiB")).toBe(12);
    expect(() => parseNumberValue("12 W", at, "MiB")).toThrow('nvidia-smi.csv line 3, field memory.used: "12 W" is not in MiB');
    expect(() => parseNumberValue("12 GiB", at, "MiB")).toThrow('"12 GiB" is not a number');
  });

  it("reads the MB of old drivers as MiB, and refuses it where another unit is expected", () => {
    expect(parseNumberValue("2577 MB", at, "MiB")).toBe(2577);
    expect(() => parseNumberValue("2577 MB", at, "W")).toThrow('"2577 MB" is not in W');
  });
});

describe("roundPct", () => {
  it("rounds to 0.0001 % and keeps null", () => {
    expect(roundPct(0.995687 * 100)).toBe(99.5687);
    expect(roundPct(0.15620549 * 100)).toBe(15.6205);
    expect(roundPct(42.5)).toBe(42.5);
    expect(roundPct(0)).toBe(0);
    expect(roundPct(null)).toBeNull();
  });
});

describe("parseIntegerValue", () => {
  it("reads whole numbers and refuses fractions", () => {
    expect(parseIntegerValue("4242", { source: "apps.csv", line: 2, field: "pid" })).toBe(4242);
    expect(parseIntegerValue("N/A", { source: "apps.csv", line: 2, field: "pid" })).toBeNull();
    expect(() => parseIntegerValue("12.5", { source: "apps.csv", line: 2, field: "pid" })).toThrow('apps.csv line 2, field pid: "12.5" is not a whole number');
  });
});

describe("parseTextValue", () => {
  it("trims text and gives null for absent or empty values", () => {
    expect(parseTextValue("  Tesla T4 ")).toBe("Tesla T4");
    expect(parseTextValue("")).toBeNull();
    expect(parseTextValue("[N/A]")).toBeNull();
  });
});

describe("describeLocation", () => {
  it("leaves out the line when it is not known", () => {
    expect(describeLocation({ source: "log.xml", field: "gpu[1]/fb_memory_usage/used" })).toBe("log.xml, field gpu[1]/fb_memory_usage/used");
    expect(describeLocation({ source: "log.xml" })).toBe("log.xml");
  });
});

describe("CaptureParseError", () => {
  it("keeps the location as fields for callers", () => {
    const error = new CaptureParseError(at, "is broken");
    expect(error.name).toBe("CaptureParseError");
    expect(error.source).toBe("nvidia-smi.csv");
    expect(error.line).toBe(3);
    expect(error.field).toBe("memory.used");
    expect(error).toBeInstanceOf(Error);
  });
});

describe("migDeviceId", () => {
  it("names a MIG device by parent UUID, GPU instance and compute instance", () => {
    expect(migDeviceId("GPU-1", 3, 0)).toBe("MIG-GPU-1/3/0");
  });
});
