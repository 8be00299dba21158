import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { completeLines, parseReportLines, ReportFileReader } from "../../../collectors/work-counters/report-file";

describe("parseReportLines", () => {
  it("reads unit, cumulative count and time (epoch seconds or ISO 8601, absent allowed)", () => {
    const text = [
      '{"unit": "samples", "count": 1280, "time": 1793577600.5}',
      "",
      '{"unit": "tokens", "count": 5e6, "time": "2026-11-02T00:01:00Z"}',
      '{"unit": "steps", "count": 10, "reset": true}',
    ].join("\n");
    expect(parseReportLines(text, "progress.jsonl", 1)).toEqual({
      reports: [
        { unit: "samples", count: 1280, atMs: 1793577600500, reset: false, line: 1 },
        { unit: "tokens", count: 5e6, atMs: Date.UTC(2026, 10, 2, 0, 1), reset: false, line: 3 },
        { unit: "steps", count: 10, atMs: null, reset: true, line: 4 },
      ],
      warnings: [],
    });
  });

  it("skips bad lines with a warning naming file, line and field, keeping the good ones", () => {
    const text = [
      '{"unit": "samples", "count": 1}',
      "not json",
      '{"unit": "Samples!", "count": 2}',
      '{"unit": "samples", "count": -4}',
      '{"unit": "samples", "count": 5, "time": 1793577600000}',
      '{"unit": "samples", "count": 6}',
    ].join("\n");
    const parsed = parseReportLines(text, "/data/run/progress.jsonl", 10);
    expect(parsed.reports.map((report) => [report.line, report.count])).toEqual([
      [10, 1],
      [15, 6],
    ]);
    expect(parsed.warnings).toEqual([
      "/data/run/progress.jsonl line 11, field (line): not JSON; line skipped",
      expect.stringMatching(/^\/data\/run\/progress.jsonl line 12, field unit: must be prompt_tokens/),
      "/data/run/progress.jsonl line 13, field count: -4 is not a cumulative count from 0 to 1000000000000000; line skipped",
      "/data/run/progress.jsonl line 14, field time: 1793577600000 is not epoch seconds; line skipped",
    ]);
  });
});

describe("completeLines", () => {
  it("leaves a last line without its newline for the next read", () => {
    const chunk = completeLines(Buffer.from('{"a":1}\n{"b":2}\n{"c":'));
    expect(chunk).toEqual({ text: '{"a":1}\n{"b":2}', byteLength: 16, lineCount: 2 });
  });
});

describe("ReportFileReader", () => {
  let dir: string;
  let file: string;
  let warnings: string[];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gpu-roi-report-"));
    file = path.join(dir, "progress.jsonl");
    warnings = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const line = (count: number) => `${JSON.stringify({ unit: "samples", count, time: 1793577600 + count })}\n`;

  it("takes the newest report of a file seen for the first time as baseline, then reads what is appended", () => {
    writeFileSync(file, line(100) + line(200));
    const reader = new ReportFileReader((warning) => warnings.push(warning));
    expect(reader.read(file, file, "progress.jsonl").map((report) => report.count)).toEqual([200]);
    appendFileSync(file, line(300) + line(400));
    expect(reader.read(file, file, "progress.jsonl").map((report) => [report.line, report.count])).toEqual([
      [3, 300],
      [4, 400],
    ]);
    expect(reader.read(file, file, "progress.jsonl")).toEqual([]);
  });

  it("reads a partial last line once its newline arrives", () => {
    writeFileSync(file, line(1));
    const reader = new ReportFileReader((warning) => warnings.push(warning));
    reader.read(file, file, "progress.jsonl");
    appendFileSync(file, '{"unit": "samples", "cou');
    expect(reader.read(file, file, "progress.jsonl")).toEqual([]);
    appendFileSync(file, 'nt": 7}\n');
    expect(reader.read(file, file, "progress.jsonl").map((report) => [report.line, report.count])).toEqual([[2, 7]]);
    expect(warnings).toEqual([]);
  });

  it("warns about a bad appended line with its line number and reads on", () => {
    writeFileSync(file, line(1));
    const reader = new ReportFileReader((warning) => warnings.push(warning));
    reader.read(file, file, "job-7/progress.jsonl");
    appendFileSync(file, "{oops}\n" + line(9));
    expect(reader.read(file, file, "job-7/progress.jsonl").map((report) => report.count)).toEqual([9]);
    expect(warnings).toEqual(["job-7/progress.jsonl line 2, field (line): not JSON; line skipped"]);
  });

  it("skips a count that goes backwards without a reset, and takes one that says reset", () => {
    writeFileSync(file, line(100));
    const reader = new ReportFileReader((warning) => warnings.push(warning));
    reader.read(file, file, "progress.jsonl");
    appendFileSync(file, line(90) + line(120) + `${JSON.stringify({ unit: "samples", count: 3, reset: true })}\n` + line(8));
    expect(reader.read(file, file, "progress.jsonl").map((report) => [report.line, report.count, report.reset])).toEqual([
      [3, 120, false],
      [4, 3, true],
      [5, 8, false],
    ]);
    expect(warnings).toEqual(['progress.jsonl line 2, field count: 90 is below the previous 100 without "reset": true; line skipped']);
  });

  it("reads a file truncated by the job from its start", () => {
    writeFileSync(file, line(100) + line(200));
    const reader = new ReportFileReader((warning) => warnings.push(warning));
    reader.read(file, file, "progress.jsonl");
    writeFileSync(file, line(5));
    expect(reader.read(file, file, "progress.jsonl").map((report) => [report.line, report.count])).toEqual([[1, 5]]);
  });

  it("reads nothing from a file that does not exist yet", () => {
    expect(new ReportFileReader(() => undefined).read("missing", path.join(dir, "missing.jsonl"), "missing.jsonl")).toEqual([]);
  });
});
