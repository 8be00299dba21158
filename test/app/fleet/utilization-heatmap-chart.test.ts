import { describe, expect, it } from "vitest";
import { heatmapCellTooltip } from "../../../app/fleet/utilization-heatmap-chart";

describe("heatmapCellTooltip", () => {
  it("shows a hostile hostname and GPU model as text, not markup", () => {
    const html = heatmapCellTooltip(
      { hostname: '"><script>window.__xss=1</script>', gpuIndex: 0, modelName: "<img src=x onerror=window.__xss=1>", memoryTotalMiB: 81_920 },
      Date.UTC(2026, 10, 2, 13),
      42.25,
      1,
      1_024,
    );
    expect(html).not.toMatch(/<(img|script)/);
    expect(html).toContain("<b>&#34;&#62;&#60;script&#62;window.__xss=1&#60;/script&#62; #0</b> (&#60;img src=x onerror=window.__xss=1&#62;)");
    expect(html).toContain("2026-11-02 13:00 UTC, 1 hour");
    expect(html).toContain("Utilization: <b>42.3 %</b>");
  });
});
