import { describe, expect, it } from "vitest";
import { DEFAULT_ATTRIBUTION_CONFIG } from "../../collectors/attribution";
import { parseDurationMs, parsePollConfig, parseRunConfig } from "../../collectors/cli";
import { NO_METADATA } from "../../collectors/metadata/metadata-config";

describe("parseDurationMs", () => {
  it("reads ms, s, m and h, and bare numbers as seconds", () => {
    expect([parseDurationMs("500ms"), parseDurationMs("10s"), parseDurationMs("1m"), parseDurationMs("2"), parseDurationMs("0s"), parseDurationMs("ten")]).toEqual([
      500,
      10_000,
      60_000,
      2000,
      null,
      null,
    ]);
  });
});

describe("parseRunConfig", () => {
  it("applies the defaults", () => {
    const result = parseRunConfig(["--server", "http://gpu-roi:3000", "--token", "t"], {});
    expect(result).toEqual({
      ok: true,
      config: {
        serverUrl: "http://gpu-roi:3000",
        token: "t",
        source: { kind: "nvidia-smi" },
        intervalMs: 10_000,
        windowMs: 60_000,
        spoolDir: "/var/lib/gpu-roi/spool",
        spoolMaxBytes: 256 * 1024 * 1024,
        metricsPort: 9401,
        hostname: null,
        procRoot: "/proc",
        shutdownGraceMs: 5000,
        attribution: DEFAULT_ATTRIBUTION_CONFIG,
        work: { endpoints: [], podListFile: null },
        metadata: NO_METADATA,
      },
    });
  });

  it("collects repeated --work-endpoint flags, which replace the comma-separated variable, and names a bad URL", () => {
    const env = { GPU_ROI_WORK_ENDPOINTS: "http://127.0.0.1:9000/metrics", GPU_ROI_WORK_PODS: "/run/gpu-roi/pods.json" };
    const fromEnv = parseRunConfig(["--server", "http://h", "--token", "t"], env);
    expect(fromEnv.ok && fromEnv.config.work).toEqual({ endpoints: ["http://127.0.0.1:9000/metrics"], podListFile: "/run/gpu-roi/pods.json" });
    const fromFlags = parseRunConfig(
      ["--server", "http://h", "--token", "t", "--work-endpoint", "http://127.0.0.1:8000/metrics", "--work-endpoint=http://127.0.0.1:8002/metrics"],
      env,
    );
    expect(fromFlags.ok && fromFlags.config.work.endpoints).toEqual(["http://127.0.0.1:8000/metrics", "http://127.0.0.1:8002/metrics"]);
    const bad = parseRunConfig(["--server", "http://h", "--token", "t", "--work-endpoint", "localhost:8000"], {});
    expect(bad.ok === false && bad.error).toBe('--work-endpoint (env GPU_ROI_WORK_ENDPOINTS): "localhost:8000" is not an http(s) URL');
  });

  it("reads other process variables for attribution when asked, and refuses unknown keys", () => {
    const result = parseRunConfig(["--server", "http://h", "--token", "t", "--attribution-env", "experiment=MLFLOW_EXPERIMENT_NAME, team=TEAM", "--default-kind", "inference"], {});
    expect(result.ok && result.config.attribution).toEqual({
      env: { ...DEFAULT_ATTRIBUTION_CONFIG.env, experiment: "MLFLOW_EXPERIMENT_NAME", team: "TEAM" },
      defaultKind: "inference",
    });
    const bad = parseRunConfig(["--server", "http://h", "--token", "t", "--attribution-env", "colour=X"], {});
    expect(bad.ok === false && bad.error).toMatch(/^--attribution-env \(env GPU_ROI_ATTRIBUTION_ENV\): "colour=X" is not KEY=VARIABLE/);
  });

  it("reads every setting from GPU_ROI_ variables, and flags win over them", () => {
    const result = parseRunConfig(["--interval=5s"], {
      GPU_ROI_SERVER: "https://gpu-roi.example.com",
      GPU_ROI_TOKEN: "tok",
      GPU_ROI_SOURCE: "dcgm=http://localhost:9400/metrics",
      GPU_ROI_INTERVAL: "1s",
      GPU_ROI_WINDOW: "30s",
      GPU_ROI_SPOOL_DIR: "/tmp/spool",
      GPU_ROI_METRICS_PORT: "0",
      GPU_ROI_HOSTNAME: "node-7",
    });
    expect(result.ok && result.config).toMatchObject({
      source: { kind: "dcgm", url: "http://localhost:9400/metrics" },
      intervalMs: 5000,
      windowMs: 30_000,
      spoolDir: "/tmp/spool",
      metricsPort: 0,
      hostname: "node-7",
    });
  });

  it("names the flag and its variable when a value is bad", () => {
    const base = ["--server", "http://x", "--token", "t"];
    expect(parseRunConfig([...base, "--interval", "fast"], {})).toEqual({ ok: false, error: '--interval (env GPU_ROI_INTERVAL): interval: "fast" is not a duration (e.g. 500ms, 10s, 1m)' });
    expect(parseRunConfig([...base, "--metrics-port", "70000"], {})).toMatchObject({ ok: false, error: expect.stringMatching(/^--metrics-port \(env GPU_ROI_METRICS_PORT\)/) });
    expect(parseRunConfig([...base, "--source", "prometheus"], {})).toMatchObject({ ok: false, error: expect.stringMatching(/^--source/) });
    expect(parseRunConfig([...base, "--interval", "7s"], {})).toMatchObject({ ok: false, error: expect.stringMatching(/^--window .*multiple of --interval/) });
    expect(parseRunConfig(["--token", "t"], {})).toEqual({ ok: false, error: "--server (env GPU_ROI_SERVER): is required" });
    expect(parseRunConfig([...base, "--colour"], {})).toEqual({ ok: false, error: "unknown option --colour" });
  });
});

describe("parseRunConfig metadata options", () => {
  const base = ["--server", "http://gpu-roi:3000", "--token", "t"];

  it("takes the ServiceAccount token and CA for an https pods URL, none for the kubelet's plain http port", () => {
    const env = { GPU_ROI_K8S_PODS_URL: "https://kubernetes.default.svc/api/v1/pods?fieldSelector=spec.nodeName=gpu-node-07", GPU_ROI_MAPPING_RULES: "/etc/gpu-roi/rules.json" };
    const result = parseRunConfig(base, env);
    expect(result.ok && result.config.metadata).toEqual({
      ...NO_METADATA,
      rulesFile: "/etc/gpu-roi/rules.json",
      kubernetesPodsUrl: env.GPU_ROI_K8S_PODS_URL,
      kubernetesTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
      kubernetesCaFile: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    });
    const kubelet = parseRunConfig([...base, "--kubernetes-pods-url", "http://10.0.0.7:10255/pods", "--metadata-ttl", "2m"], {});
    expect(kubelet.ok && kubelet.config.metadata).toMatchObject({ kubernetesTokenFile: null, kubernetesCaFile: null, cacheTtlMs: 120_000 });
    const noCa = parseRunConfig([...base, "--kubernetes-pods-url", "https://10.0.0.7:10250/pods", "--kubernetes-ca-file", "none"], {});
    expect(noCa.ok && noCa.config.metadata).toMatchObject({ kubernetesCaFile: null, kubernetesTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" });
  });

  it("turns Slurm metadata and the pod-resources socket on, and names a bad value with its variable", () => {
    const result = parseRunConfig([...base, "--slurm-metadata", "sacct", "--pod-resources-socket", "/var/lib/kubelet/pod-resources/kubelet.sock"], {});
    expect(result.ok && result.config.metadata).toMatchObject({ slurm: "sacct", podResourcesSocket: "/var/lib/kubelet/pod-resources/kubelet.sock" });
    expect(parseRunConfig(base, { GPU_ROI_SLURM_METADATA: "squeue" })).toEqual({ ok: false, error: "--slurm-metadata (env GPU_ROI_SLURM_METADATA): must be off, scontrol or sacct" });
    expect(parseRunConfig([...base, "--kubernetes-pods-url", "kubelet"], {})).toEqual({ ok: false, error: "--kubernetes-pods-url (env GPU_ROI_K8S_PODS_URL): must be an http(s) URL" });
  });
});

describe("parseRunConfig --token-file", () => {
  it("reads the token from the file a mounted Secret gives, and names a file it cannot read", () => {
    const files: Record<string, string> = { "/etc/gpu-roi/node-tokens/gpu-node-07": "gpr_node_token\n" };
    const readFile = (file: string) => {
      if (!(file in files)) throw new Error(`ENOENT: no such file or directory, open '${file}'`);
      return files[file];
    };
    const result = parseRunConfig(["--server", "http://h"], { GPU_ROI_TOKEN_FILE: "/etc/gpu-roi/node-tokens/gpu-node-07" }, readFile);
    expect(result.ok && result.config.token).toBe("gpr_node_token");
    expect(parseRunConfig(["--server", "http://h", "--token-file", "/etc/gpu-roi/node-tokens/gpu-node-08"], {}, readFile)).toEqual({
      ok: false,
      error: "--token-file (env GPU_ROI_TOKEN_FILE): cannot read /etc/gpu-roi/node-tokens/gpu-node-08 (ENOENT: no such file or directory, open '/etc/gpu-roi/node-tokens/gpu-node-08')",
    });
    const both = parseRunConfig(["--server", "http://h", "--token", "from-flag", "--token-file", "/nonexistent"], {}, readFile);
    expect(both.ok && both.config.token).toBe("from-flag");
  });
});

describe("parsePollConfig", () => {
  it("takes the source and attribution flags of run, without server or token", () => {
    expect(parsePollConfig(["--source", "simulator", "--hostname", "gpu-7"], { GPU_ROI_PROC_ROOT: "/host/proc" })).toEqual({
      ok: true,
      config: { source: { kind: "simulator" }, hostname: "gpu-7", procRoot: "/host/proc", attribution: DEFAULT_ATTRIBUTION_CONFIG },
    });
    expect(parsePollConfig([], {})).toMatchObject({ ok: true, config: { source: { kind: "nvidia-smi" }, hostname: null, procRoot: "/proc" } });
  });

  it("names the flag of a bad value and refuses flags that only run takes", () => {
    expect(parsePollConfig(["--source", "gpu"], {})).toEqual({ ok: false, error: '--source (env GPU_ROI_SOURCE): "gpu" is not nvidia-smi, dcgm=URL, amd-smi, rocm-smi, hl-smi or simulator' });
    expect(parsePollConfig(["--spool", "/tmp/x"], {})).toEqual({ ok: false, error: "unknown option --spool" });
    expect(parsePollConfig(["--hostname"], {})).toEqual({ ok: false, error: "--hostname needs a value" });
  });
});
