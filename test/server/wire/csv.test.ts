import { describe, expect, it } from "vitest";
import { csvDocument, csvField } from "../../../server/wire/csv";

describe("csvField", () => {
  it("defuses text that a spreadsheet would read as a formula, whichever of the six characters starts it", () => {
    expect(csvField("=HYPERLINK(\"http://x\")")).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField("+cmd|' /C calc'!A0")).toBe("'+cmd|' /C calc'!A0");
    expect(csvField("-2+3")).toBe("'-2+3");
    expect(csvField("@SUM(1+1)")).toBe("'@SUM(1+1)");
    expect(csvField("\t=1+1")).toBe("'\t=1+1");
    expect(csvField("\r=1+1")).toBe(`"'\r=1+1"`);
  });

  it("keeps numbers as numbers, negative ones included, and writes null and non-finite figures as empty fields", () => {
    expect(csvField(-12.5)).toBe("-12.5");
    expect(csvField(0)).toBe("0");
    expect(csvField(null)).toBe("");
    expect(csvField(Number.NaN)).toBe("");
    expect(csvField(Number.POSITIVE_INFINITY)).toBe("");
  });

  it("quotes fields with a comma, a quote or a line break, doubling quotes", () => {
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvField("plain name")).toBe("plain name");
    expect(csvField("")).toBe("");
  });
});

describe("csvDocument", () => {
  it("writes the header and one line per row, each ending with a line feed", () => {
    expect(csvDocument(["name", "cost (USD)"], [["=1+1", -3], [null, 4.25]])).toBe("name,cost (USD)\n'=1+1,-3\n,4.25\n");
  });
});
