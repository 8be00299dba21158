import { describe, expect, it } from "vitest";
import { costTrendTooltip } from "../../../app/components/cost-trend-chart";
import { escapeHtml } from "../../../app/components/escape-html";

const HOSTILE = `<img src=x onerror="window.__xss=1">'\`&`;

describe("escapeHtml", () => {
  it("turns every character that opens markup, an attribute or an entity into an entity", () => {
    expect(escapeHtml(HOSTILE)).toBe("&#60;img src=x onerror=&#34;window.__xss=1&#34;&#62;&#39;&#96;&#38;");
  });

  it("leaves ordinary names as they are", () => {
    expect(escapeHtml("NVIDIA A100-SXM4-80GB node-01 #3 team/ml (x) 5 %")).toBe("NVIDIA A100-SXM4-80GB node-01 #3 team/ml (x) 5 %");
  });
});

describe("costTrendTooltip", () => {
  it("escapes series names and the step label, keeping ECharts' marker and its own markup", () => {
    const marker = '<span style="background-color:#5470c6;"></span>';
    const html = costTrendTooltip(
      [
        { seriesName: HOSTILE, value: 2, marker, axisValueLabel: "<b>step</b>" },
        { seriesName: "team-a", value: 1, marker, axisValueLabel: "<b>step</b>" },
      ],
      "USD",
    );
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>step");
    expect(html).toContain(`${marker}&#60;img src=x onerror=&#34;window.__xss=1&#34;&#62;&#39;&#96;&#38;: <b>$2.00</b>`);
    expect(html).toContain("&#60;b&#62;step&#60;/b&#62; UTC — total <b>$3.00</b>");
  });
});
