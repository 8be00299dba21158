import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlurmJobCache } from "../../../collectors/metadata/slurm-metadata";

const fixtures = path.join(__dirname, "../../fixtures/slurm");

/**
 * Stand-ins for scontrol and sacct: real executables that log their arguments
 * and print a captured answer, so the test exercises execFile, arguments and
 * exit codes as on a node.
 */
describe("SlurmJobCache", () => {
  let dir: string;
  const log = () => (readFileSync(path.join(dir, "calls.log"), "utf8").trim() || "").split("\n").filter(Boolean);

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gpu-roi-slurm-"));
    writeFileSync(path.join(dir, "calls.log"), "");
    const script = (name: string, body: string) => {
      writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >> "${dir}/calls.log"\n${body}\n`);
      chmodSync(path.join(dir, name), 0o755);
    };
    script(
      "scontrol",
      `case "$4" in
  4242) cat "${fixtures}/scontrol-show-job-o__gpu-job.txt" ;;
  5120) echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1 ;;
  9999) sleep 5 ;;
  *) echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1 ;;
esac`,
    );
    script(
      "sacct",
      `case "$3" in
  5120) cat "${fixtures}/sacct-json__slurm-24.05__requeued-gpu-job.json" ;;
  *) echo '{"jobs":[],"errors":[],"warnings":[]}' ;;
esac`,
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const make = (nowMs: { value: number }, mode: "scontrol" | "sacct" = "scontrol", lines: string[] = []) =>
    new SlurmJobCache(
      { mode, cacheTtlMs: 60_000, timeoutMs: 1_000, scontrol: path.join(dir, "scontrol"), sacct: path.join(dir, "sacct") },
      { now: () => nowMs.value, log: (line) => lines.push(line) },
    );

  it("asks scontrol once per job and TTL, with the job id as its own argument", async () => {
    writeFileSync(path.join(dir, "calls.log"), "");
    const nowMs = { value: Date.UTC(2026, 11, 4, 12) };
    const cache = make(nowMs);
    const [first] = await Promise.all([cache.lookup(["4242", "4242"]), cache.lookup(["4242"])]);
    expect(first.get("4242")).toMatchObject({ account: "nlp-research", qos: "gpu-high", comment: "sweep 7: lr=3e-4 warmup=500" });
    nowMs.value += 59_000;
    await cache.lookup(["4242"]);
    expect(log()).toEqual(["scontrol show job -o 4242"]);
    nowMs.value += 2_000;
    await cache.lookup(["4242"]);
    expect(log()).toHaveLength(2);
  });

  it("asks sacct for a job slurmctld no longer knows", async () => {
    writeFileSync(path.join(dir, "calls.log"), "");
    const jobs = await make({ value: 0 }).lookup(["5120"]);
    expect(jobs.get("5120")).toMatchObject({ account: "vision", wckey: "detection", qos: "high" });
    expect(log()).toEqual(["scontrol show job -o 5120", "sacct --json -j 5120"]);
  });

  it("in sacct mode asks only sacct, and remembers a job neither knows for a quarter TTL", async () => {
    writeFileSync(path.join(dir, "calls.log"), "");
    const nowMs = { value: 0 };
    const cache = make(nowMs, "sacct");
    expect((await cache.lookup(["5120", "6000"])).has("6000")).toBe(false);
    nowMs.value += 10_000;
    await cache.lookup(["6000"]);
    nowMs.value += 6_000;
    await cache.lookup(["6000"]);
    expect(log().sort()).toEqual(["sacct --json -j 5120", "sacct --json -j 6000", "sacct --json -j 6000"]);
  });

  it("gives up on a command that hangs after the timeout and logs it, without failing the lookup", async () => {
    const lines: string[] = [];
    const started = performance.now();
    const jobs = await make({ value: 0 }, "scontrol", lines).lookup(["9999"]);
    expect(jobs.size).toBe(0);
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(lines[0]).toMatch(/^slurm metadata: .*scontrol show job -o 9999: /);
  });

  it("never runs a command for an id that is not a number", async () => {
    writeFileSync(path.join(dir, "calls.log"), "");
    expect((await make({ value: 0 }).lookup(["1;reboot"])).size).toBe(0);
    expect(log()).toEqual([]);
  });
});
