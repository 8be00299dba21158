import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAPPING_RULES } from "../../../collectors/metadata/mapping-rules";
import { parseSacctJson, parseScontrolFields, parseScontrolJob, slurmJobMetadata } from "../../../collectors/metadata/slurm-jobs";

const fixture = (name: string) => readFileSync(path.join(__dirname, "../../fixtures/slurm", name), "utf8");

describe("parseScontrolJob", () => {
  it("reads account, partition, QOS, name, wckey and comment of a one-line (-o) job, free text with spaces and key=value pairs included", () => {
    expect(parseScontrolJob(fixture("scontrol-show-job-o__gpu-job.txt"), "4242", "scontrol")).toEqual({
      jobId: "4242",
      jobName: "llama ft stage2",
      user: "alice",
      account: "nlp-research",
      partition: "a100",
      qos: "gpu-high",
      wckey: "llama3-finetune",
      comment: "sweep 7: lr=3e-4 warmup=500",
    });
  });

  it("reads the multi-line form and drops the * Slurm prints before a default wckey", () => {
    const job = parseScontrolJob(fixture("scontrol-show-job__multi-line-default-wckey.txt"), "7731002", "scontrol");
    expect(job).toMatchObject({ jobId: "7731002", jobName: "bash", user: "carol", account: "default", qos: "normal", partition: "cpu", wckey: "phys-lattice", comment: null });
  });

  it("reads (null) as absent and finds an array task by its own job id", () => {
    expect(parseScontrolJob(fixture("scontrol-show-job-o__array-task.txt"), "88123", "scontrol")).toEqual({
      jobId: "88123",
      jobName: "sweep",
      user: "bob",
      account: null,
      partition: "h100",
      qos: "normal",
      wckey: null,
      comment: null,
    });
  });

  it("answers null for a job the output does not hold or that scontrol does not know", () => {
    expect(parseScontrolJob(fixture("scontrol-show-job-o__gpu-job.txt"), "4243", "scontrol")).toBeNull();
    expect(parseScontrolJob("slurm_load_jobs error: Invalid job id specified\n", "4243", "scontrol")).toBeNull();
  });

  it("refuses output that is not a job, naming the source, line and field", () => {
    expect(() => parseScontrolJob("NodeName=gpu-01 Arch=x86_64\n", "1", "scontrol show job -o 1")).toThrow("scontrol show job -o 1: line 1: field JobId: missing; not scontrol show job output");
    expect(() => parseScontrolJob("JobId=1 JobName=a\nJobId=abc JobName=b\n", "2", "out.txt")).toThrow('out.txt: line 2: field JobId: "abc" is not a job id');
  });
});

describe("parseScontrolFields", () => {
  it("reads the -dd form: per-node detail lines and a line without = do not leak into other values", () => {
    const text = [
      "JobId=9001 JobName=eval",
      "   UserId=erin(4100) GroupId=ml(4100) MCS_label=N/A",
      "   Priority=1000 Nice=0 Account=ml-eval QOS=normal WCKey=*",
      "   Partition=gpu AllocNode:Sid=login:77",
      "   TRES=cpu=2,mem=1G,node=1,billing=2,gres/gpu=1",
      "     Nodes=gpu-03 CPU_IDs=2-3 Mem=1024 GRES=gpu:1(IDX:3)",
      "   TresPerNode=gres/gpu:1",
      "   NtasksPerTRES:0",
      "",
    ].join("\n");
    const fields = parseScontrolFields(text);
    expect(fields.get("TresPerNode")).toBe("gres/gpu:1");
    expect(fields.get("Partition")).toBe("gpu");
    expect(parseScontrolJob(text, "9001", "scontrol")).toEqual({ jobId: "9001", jobName: "eval", user: "erin", account: "ml-eval", partition: "gpu", qos: "normal", wckey: null, comment: null });
  });

  it("ends a fixed field at the next key even when the key is one scontrol did not print before", () => {
    expect(Object.fromEntries(parseScontrolFields("JobId=5 QOS=normal FutureField=x Comment=a b=c"))).toEqual({ JobId: "5", QOS: "normal", FutureField: "x", Comment: "a b=c" });
  });
});

describe("parseSacctJson", () => {
  it("takes the last record of a requeued job from Slurm 24.05's JSON, comment and wckey as objects", () => {
    expect(parseSacctJson(fixture("sacct-json__slurm-24.05__requeued-gpu-job.json"), "5120", "sacct")).toEqual({
      jobId: "5120",
      jobName: "detr-pretrain",
      user: "dmitri",
      account: "vision",
      partition: "h100",
      qos: "high",
      wckey: "detection",
      comment: "resume from ckpt-1800 after node failure",
    });
  });

  it("reads comment and wckey given as plain strings (data_parser before 23.02) and answers null for a job not in the output", () => {
    const json = JSON.stringify({ jobs: [{ job_id: 77, name: "x", account: "a", partition: "p", qos: "q", user: "u", wckey: "*w", comment: "c" }] });
    expect(parseSacctJson(json, "77", "sacct")).toMatchObject({ wckey: "w", comment: "c" });
    expect(parseSacctJson(json, "78", "sacct")).toBeNull();
  });

  it("refuses output without a jobs array, naming the source", () => {
    expect(() => parseSacctJson('{"errors":[{"error":"x"}]}', "1", "sacct --json -j 1")).toThrow("sacct --json -j 1: field jobs: expected sacct --json output with a jobs array");
    expect(() => parseSacctJson("sacct: error", "1", "sacct --json -j 1")).toThrow(/^sacct --json -j 1: not JSON/);
  });
});

describe("slurmJobMetadata", () => {
  it("maps account to team, wckey to project, comment to experiment, and keeps the scheduler's terms as labels", () => {
    const job = parseScontrolJob(fixture("scontrol-show-job-o__gpu-job.txt"), "4242", "scontrol")!;
    expect(slurmJobMetadata(job, DEFAULT_MAPPING_RULES.slurm)).toEqual({
      values: { team: "nlp-research", project: "llama3-finetune", experiment: "sweep 7: lr=3e-4 warmup=500", user: "alice" },
      labels: { account: "nlp-research", partition: "a100", qos: "gpu-high", jobName: "llama ft stage2", wckey: "llama3-finetune" },
    });
    expect(slurmJobMetadata(job, { team: ["partition"], experiment: ["jobName"] }).values).toEqual({ team: "a100", experiment: "llama ft stage2" });
  });
});
