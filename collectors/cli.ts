/**
 * gpu-roi collector command line.
 *
 *   collector parse FILE [--fields=a,b,c]
 *     Reads a capture (nvidia-smi XML/CSV/-L output, dcgm-exporter /metrics text,
 *     amd-smi/rocm-smi JSON, hl-smi CSV)
 *     and prints its GPU readings as JSON. --fields names the queried fields of
 *     CSV saved without a header.
 *
 *   collector run --server URL --token TOKEN [--source nvidia-smi|dcgm=URL|amd-smi|rocm-smi|hl-smi|simulator] ...
 *     Runs the agent on this node until SIGTERM/SIGINT (see RUN_USAGE and
 *     docs/collector.md).
 *
 *   collector poll [--source SOURCE] [--proc-root DIR] ...
 *     Polls the source once and prints the attributed readings as JSON (see
 *     POLL_USAGE): a check that the collector reads this node's GPUs.
 *
 * Exit codes: 0 success, 1 the file is not a readable capture, 2 usage error.
 * The parsing itself is in sources/parse-capture.ts; this file only does I/O.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { jobKindSchema } from "../server/wire/ingest-v1";
import { DEFAULT_INTERVAL_MS, DEFAULT_WINDOW_MS, pollOnce, startCollector, type CollectorConfig } from "./agent";
import { DEFAULT_ATTRIBUTION_CONFIG, type AttributionConfig } from "./attribution";
import { DEFAULT_METRICS_PORT } from "./collector-metrics";
import { DEFAULT_SERVICE_ACCOUNT_DIR } from "./metadata/kubernetes-metadata";
import { DEFAULT_METADATA_CACHE_TTL_MS, DEFAULT_METADATA_TIMEOUT_MS, type MetadataConfig } from "./metadata/metadata-config";
import { parseCapture, summarizeCapture } from "./sources/parse-capture";
import { CaptureParseError } from "./sources/parse-values";
import { DEFAULT_SPOOL_MAX_BYTES } from "./spool";

export const USAGE = [
  "usage: collector parse FILE [--fields=FIELD,FIELD,...]",
  "         prints the GPU readings of a saved capture as JSON",
  "       collector poll [--source SOURCE] [options] (collector poll --help)",
  "         polls this node's GPUs once and prints the attributed readings as JSON",
  "       collector run --server URL --token TOKEN [options] (collector run --help)",
  "         runs the agent: polls, windows, spools and sends to the server until SIGTERM",
].join("\n");

export interface CliIo {
  readFile: (path: string) => string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const RUN_USAGE = `usage: collector run --server URL --token TOKEN [options]

  --server URL             gpu-roi server, e.g. https://gpu-roi.example.com   env GPU_ROI_SERVER (required)
  --token TOKEN            node token issued for this host                     env GPU_ROI_TOKEN (this or
  --token-file FILE        a file holding it (e.g. a mounted Secret)           env GPU_ROI_TOKEN_FILE  required)
  --source SOURCE          nvidia-smi | dcgm=URL | amd-smi | rocm-smi | hl-smi | simulator
                           (default nvidia-smi; amd-smi/rocm-smi: AMD Instinct, hl-smi: Intel Gaudi)
                                                                               env GPU_ROI_SOURCE
  --interval DURATION      poll interval (default 10s)                         env GPU_ROI_INTERVAL
  --window DURATION        window length, a multiple of the interval (default 60s) env GPU_ROI_WINDOW
  --spool DIR              spool directory (default /var/lib/gpu-roi/spool)    env GPU_ROI_SPOOL_DIR
  --spool-max-mb MIB       spool bound in MiB (default 256)                    env GPU_ROI_SPOOL_MAX_MB
  --metrics-port PORT      Prometheus /metrics port, 0 = off (default 9401)    env GPU_ROI_METRICS_PORT
  --hostname NAME          node name sent to the server (default: this host)   env GPU_ROI_HOSTNAME
  --proc-root DIR          where the host's /proc is mounted (default /proc)   env GPU_ROI_PROC_ROOT
  --shutdown-grace DURATION  time to deliver the spool on SIGTERM (default 5s) env GPU_ROI_SHUTDOWN_GRACE
  --attribution-env LIST   process variables to read instead of the GPU_ROI_* defaults,
                           e.g. team=MY_TEAM,experiment=MLFLOW_EXPERIMENT_NAME
                           (keys: jobId, team, project, model, experiment, user, jobKind, workFile)
                                                                               env GPU_ROI_ATTRIBUTION_ENV
  --default-kind KIND      kind of attributed jobs that do not say (default training)
                                                                               env GPU_ROI_DEFAULT_JOB_KIND
  --work-endpoint URL      /metrics of an inference server on this node (vLLM, TGI, Triton, SGLang);
                           repeat the flag for several (env: comma-separated)  env GPU_ROI_WORK_ENDPOINTS
  --work-pods FILE         PodList JSON of this node's pods; those annotated prometheus.io/scrape
                           are scraped for work counters                       env GPU_ROI_WORK_PODS
  --kubernetes-pods-url URL  this node's pods, for namespace, labels and owner of each pod:
                           https://kubernetes.default.svc/api/v1/pods?fieldSelector=spec.nodeName=NODE
                           or https://NODE:10250/pods (kubelet)                env GPU_ROI_K8S_PODS_URL
  --kubernetes-token-file FILE  bearer token for it, none = no token (default for https:
                           the ServiceAccount token)                           env GPU_ROI_K8S_TOKEN_FILE
  --kubernetes-ca-file FILE  CA of its certificate, none = system CAs (default for https:
                           the ServiceAccount ca.crt)                          env GPU_ROI_K8S_CA_FILE
  --pod-resources-socket PATH  kubelet pod-resources socket, GPUs allocated to pods
                           (e.g. /var/lib/kubelet/pod-resources/kubelet.sock)  env GPU_ROI_POD_RESOURCES_SOCKET
  --slurm-metadata MODE    off | scontrol | sacct: account, partition, QOS, wckey, comment of
                           Slurm jobs (default off)                            env GPU_ROI_SLURM_METADATA
  --mapping-rules FILE|JSON  rules (a JSON file, or the JSON itself): team/project/model/experiment/user
                           from namespace, labels, annotations, Slurm account... (default: built-in)
                                                                               env GPU_ROI_MAPPING_RULES
  --metadata-ttl DURATION  how long pod and Slurm job metadata is reused (default 60s)
                                                                               env GPU_ROI_METADATA_TTL

DURATION: 500ms, 10s, 1m, 1h; a bare number is seconds. Flags win over env variables.`;

export const POLL_USAGE = `usage: collector poll [options]

Polls the GPU source once, attributes each process to its job as \`collector run\`
would, and prints {atMs, hostname, source, gpus} as JSON on stdout. Nothing is
sent or spooled. Exit 0 when the poll succeeded, 1 when the source failed.

  --source SOURCE          nvidia-smi | dcgm=URL | amd-smi | rocm-smi | hl-smi | simulator
                           (default nvidia-smi; amd-smi/rocm-smi: AMD Instinct, hl-smi: Intel Gaudi)
                                                                               env GPU_ROI_SOURCE
  --hostname NAME          node name (default: this host)                      env GPU_ROI_HOSTNAME
  --proc-root DIR          where the host's /proc is mounted (default /proc)   env GPU_ROI_PROC_ROOT
  --attribution-env LIST   as for collector run                                env GPU_ROI_ATTRIBUTION_ENV
  --default-kind KIND      as for collector run                                env GPU_ROI_DEFAULT_JOB_KIND`;

/** Flag name (without --) → environment variable. */
const RUN_FLAGS = {
  server: "GPU_ROI_SERVER",
  token: "GPU_ROI_TOKEN",
  "token-file": "GPU_ROI_TOKEN_FILE",
  source: "GPU_ROI_SOURCE",
  interval: "GPU_ROI_INTERVAL",
  window: "GPU_ROI_WINDOW",
  spool: "GPU_ROI_SPOOL_DIR",
  "spool-max-mb": "GPU_ROI_SPOOL_MAX_MB",
  "metrics-port": "GPU_ROI_METRICS_PORT",
  hostname: "GPU_ROI_HOSTNAME",
  "proc-root": "GPU_ROI_PROC_ROOT",
  "shutdown-grace": "GPU_ROI_SHUTDOWN_GRACE",
  "attribution-env": "GPU_ROI_ATTRIBUTION_ENV",
  "default-kind": "GPU_ROI_DEFAULT_JOB_KIND",
  "work-endpoint": "GPU_ROI_WORK_ENDPOINTS",
  "work-pods": "GPU_ROI_WORK_PODS",
  "kubernetes-pods-url": "GPU_ROI_K8S_PODS_URL",
  "kubernetes-token-file": "GPU_ROI_K8S_TOKEN_FILE",
  "kubernetes-ca-file": "GPU_ROI_K8S_CA_FILE",
  "pod-resources-socket": "GPU_ROI_POD_RESOURCES_SOCKET",
  "slurm-metadata": "GPU_ROI_SLURM_METADATA",
  "mapping-rules": "GPU_ROI_MAPPING_RULES",
  "metadata-ttl": "GPU_ROI_METADATA_TTL",
} as const;
/** Flags that may be given several times; their values are joined with commas, as their variable lists them. */
const REPEATABLE_FLAGS: ReadonlySet<RunFlag> = new Set(["work-endpoint"]);
type RunFlag = keyof typeof RUN_FLAGS;

/** "10s" → 10000. A bare number is seconds. */
export function parseDurationMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return null;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"] ?? 1000;
  const ms = Math.round(Number(match[1]) * factor);
  return ms > 0 ? ms : null;
}

const duration = (what: string) =>
  z.string().transform((text, context) => {
    const ms = parseDurationMs(text);
    if (ms === null) {
      context.addIssue({ code: "custom", message: `${what}: ${JSON.stringify(text)} is not a duration (e.g. 500ms, 10s, 1m)` });
      return z.NEVER;
    }
    return ms;
  });

const runFieldsSchema = z.object({
    server: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    token: z.string().min(1, "must not be empty"),
    "token-file": z.string().min(1).optional(),
    source: z
      .string()
      .default("nvidia-smi")
      .transform((text, context): CollectorConfig["source"] => {
        if (text === "nvidia-smi" || text === "simulator" || text === "amd-smi" || text === "rocm-smi" || text === "hl-smi") return { kind: text };
        if (text.startsWith("dcgm=") && URL.canParse(text.slice(5))) return { kind: "dcgm", url: text.slice(5) };
        context.addIssue({ code: "custom", message: `${JSON.stringify(text)} is not nvidia-smi, dcgm=URL, amd-smi, rocm-smi, hl-smi or simulator` });
        return z.NEVER;
      }),
    interval: duration("interval").default(DEFAULT_INTERVAL_MS),
    window: duration("window").default(DEFAULT_WINDOW_MS),
    spool: z.string().min(1).default("/var/lib/gpu-roi/spool"),
    "spool-max-mb": z.coerce.number({ error: "must be a number of MiB" }).positive("must be positive").default(DEFAULT_SPOOL_MAX_BYTES / 1024 / 1024),
    "metrics-port": z.coerce.number({ error: "must be a port number" }).int("must be a port number").min(0).max(65535).default(DEFAULT_METRICS_PORT),
    hostname: z.string().min(1).max(253).optional(),
    "proc-root": z.string().min(1).default("/proc"),
    "shutdown-grace": duration("shutdown-grace").default(5000),
    "attribution-env": z
      .string()
      .default("")
      .transform((text, context): AttributionConfig["env"] => {
        const env = { ...DEFAULT_ATTRIBUTION_CONFIG.env };
        for (const part of text.split(",").map((item) => item.trim()).filter(Boolean)) {
          const [key, variable] = part.split("=").map((item) => item.trim());
          if (!(key in env) || !variable || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
            context.addIssue({ code: "custom", message: `${JSON.stringify(part)} is not KEY=VARIABLE with KEY one of ${Object.keys(env).join(", ")}` });
            return z.NEVER;
          }
          env[key as keyof AttributionConfig["env"]] = variable;
        }
        return env;
      }),
    "default-kind": jobKindSchema.default(DEFAULT_ATTRIBUTION_CONFIG.defaultKind),
    "work-endpoint": z
      .string()
      .default("")
      .transform((text, context): string[] => {
        const urls = text.split(",").map((item) => item.trim()).filter(Boolean);
        for (const url of urls) {
          if (!/^https?:\/\//.test(url) || !URL.canParse(url)) {
            context.addIssue({ code: "custom", message: `${JSON.stringify(url)} is not an http(s) URL` });
            return z.NEVER;
          }
        }
        return urls;
      }),
    "work-pods": z.string().min(1).optional(),
    "kubernetes-pods-url": z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    "kubernetes-token-file": z.string().min(1).optional(),
    "kubernetes-ca-file": z.string().min(1).optional(),
    "pod-resources-socket": z.string().min(1).optional(),
    "slurm-metadata": z.enum(["off", "scontrol", "sacct"], { error: "must be off, scontrol or sacct" }).default("off"),
    "mapping-rules": z.string().min(1).optional(),
    "metadata-ttl": duration("metadata-ttl").default(DEFAULT_METADATA_CACHE_TTL_MS),
  });

const runConfigSchema = runFieldsSchema.superRefine((value, context) => {
    if (value.window % value.interval !== 0) {
      context.addIssue({ code: "custom", path: ["window"], message: `must be a multiple of --interval (${value.interval} ms), got ${value.window} ms` });
    }
  });

/** The flags `collector poll` takes: those of `collector run` that say what to read and how to attribute it. */
const POLL_FLAG_NAMES = ["source", "hostname", "proc-root", "attribution-env", "default-kind"] as const satisfies readonly RunFlag[];
const pollConfigSchema = runFieldsSchema.pick({ source: true, hostname: true, "proc-root": true, "attribution-env": true, "default-kind": true });

/** Flags and their variables into raw values; an error names an unknown or valueless flag. */
function readFlags(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  accepted: readonly RunFlag[],
): { ok: true; raw: Partial<Record<RunFlag, string>> } | { ok: false; error: string } {
  const raw: Partial<Record<RunFlag, string>> = {};
  for (const flag of accepted) {
    const value = env[RUN_FLAGS[flag]];
    if (value !== undefined && value !== "") raw[flag] = value;
  }
  // Flags given on the command line replace their variable; a repeatable one adds up its repeats.
  const repeated = new Set<RunFlag>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match || !accepted.includes(match[1] as RunFlag)) return { ok: false, error: `unknown option ${arg}` };
    const flag = match[1] as RunFlag;
    let value = match[2];
    if (value === undefined) {
      value = args[i + 1];
      if (value === undefined || value.startsWith("--")) return { ok: false, error: `--${flag} needs a value` };
      i++;
    }
    raw[flag] = REPEATABLE_FLAGS.has(flag) && repeated.has(flag) ? `${raw[flag]},${value}` : value;
    repeated.add(flag);
  }
  return { ok: true, raw };
}

/** The first problem of a failed parse, naming the flag and its variable. */
function flagError(error: z.ZodError, raw: Partial<Record<RunFlag, string>>): string {
  const issue = error.issues[0];
  const flag = String(issue.path[0] ?? "") as RunFlag;
  const message = issue.code === "invalid_type" && raw[flag] === undefined ? "is required" : issue.message;
  return `--${flag} (env ${RUN_FLAGS[flag] ?? "?"}): ${message}`;
}

/**
 * Reads `collector run` flags (`--flag value` or `--flag=value`), falling back to
 * the GPU_ROI_* environment variables, and validates them. The error names the
 * flag (and its variable).
 */
export function parseRunConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
): { ok: true; config: CollectorConfig } | { ok: false; error: string } {
  const read = readFlags(args, env, Object.keys(RUN_FLAGS) as RunFlag[]);
  if (!read.ok) return read;
  const { raw } = read;
  // A DaemonSet mounts one Secret with every node's token, one file per node name, so the token may come from a file.
  const tokenFile = raw["token-file"];
  if (raw.token === undefined && tokenFile !== undefined) {
    try {
      raw.token = readFile(tokenFile).trim();
    } catch (error) {
      return { ok: false, error: `--token-file (env GPU_ROI_TOKEN_FILE): cannot read ${tokenFile} (${(error as Error).message})` };
    }
    if (raw.token === "") return { ok: false, error: `--token-file (env GPU_ROI_TOKEN_FILE): ${tokenFile} is empty` };
  }
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: flagError(parsed.error, raw) };
  const value = parsed.data;
  return {
    ok: true,
    config: {
      serverUrl: value.server,
      token: value.token,
      source: value.source,
      intervalMs: value.interval,
      windowMs: value.window,
      spoolDir: value.spool,
      spoolMaxBytes: Math.round(value["spool-max-mb"] * 1024 * 1024),
      metricsPort: value["metrics-port"],
      hostname: value.hostname ?? null,
      procRoot: value["proc-root"],
      shutdownGraceMs: value["shutdown-grace"],
      attribution: { env: value["attribution-env"], defaultKind: value["default-kind"] },
      work: { endpoints: value["work-endpoint"], podListFile: value["work-pods"] ?? null },
      metadata: metadataConfig(value),
    },
  };
}

/**
 * Token and CA default to the ServiceAccount's for an https URL (the API server,
 * or the kubelet's authenticated port); a plain http URL (the kubelet's
 * read-only port) gets no token, so it never travels unencrypted.
 */
function metadataConfig(value: z.infer<typeof runConfigSchema>): MetadataConfig {
  const url = value["kubernetes-pods-url"] ?? null;
  const https = url?.startsWith("https:") ?? false;
  const file = (given: string | undefined, fallback: string): string | null => {
    if (given === "none") return null;
    return given ?? (https ? fallback : null);
  };
  return {
    rulesFile: value["mapping-rules"] ?? null,
    kubernetesPodsUrl: url,
    kubernetesTokenFile: file(value["kubernetes-token-file"], `${DEFAULT_SERVICE_ACCOUNT_DIR}/token`),
    kubernetesCaFile: file(value["kubernetes-ca-file"], `${DEFAULT_SERVICE_ACCOUNT_DIR}/ca.crt`),
    podResourcesSocket: value["pod-resources-socket"] ?? null,
    slurm: value["slurm-metadata"] === "off" ? null : value["slurm-metadata"],
    cacheTtlMs: value["metadata-ttl"],
    timeoutMs: DEFAULT_METADATA_TIMEOUT_MS,
  };
}

export type PollConfig = Pick<CollectorConfig, "source" | "hostname" | "procRoot" | "attribution">;

/** Reads and validates `collector poll` flags, as parseRunConfig does for `run`. */
export function parsePollConfig(args: readonly string[], env: Readonly<Record<string, string | undefined>>): { ok: true; config: PollConfig } | { ok: false; error: string } {
  const read = readFlags(args, env, POLL_FLAG_NAMES);
  if (!read.ok) return read;
  const parsed = pollConfigSchema.safeParse(read.raw);
  if (!parsed.success) return { ok: false, error: flagError(parsed.error, read.raw) };
  const value = parsed.data;
  return {
    ok: true,
    config: {
      source: value.source,
      hostname: value.hostname ?? null,
      procRoot: value["proc-root"],
      attribution: { env: value["attribution-env"], defaultKind: value["default-kind"] },
    },
  };
}

/** Runs the CLI with `args` (without node and script), returns the exit code. */
export function runCli(args: readonly string[], io: CliIo): number {
  const [command, ...rest] = args;
  if (command === "--help" || command === "-h" || command === "help") {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (command === "run" || command === "poll") {
    io.stderr(`collector ${command} runs as its own process: npm run --silent collector -- ${command} ...\n`);
    return 2;
  }
  if (command !== "parse") {
    io.stderr(`${command === undefined ? "no command given" : `unknown command ${JSON.stringify(command)}`}\n${USAGE}\n`);
    return 2;
  }
  const files = rest.filter((arg) => !arg.startsWith("--"));
  const options = rest.filter((arg) => arg.startsWith("--"));
  const unknown = options.filter((option) => !option.startsWith("--fields="));
  if (files.length !== 1 || unknown.length > 0) {
    io.stderr(`${unknown.length > 0 ? `unknown option ${unknown[0]}` : "parse takes exactly one FILE"}\n${USAGE}\n`);
    return 2;
  }
  const fieldsOption = options.find((option) => option.startsWith("--fields="));
  const fields = fieldsOption
    ?.slice("--fields=".length)
    .split(",")
    .map((field) => field.trim())
    .filter((field) => field !== "");

  const file = files[0];
  let text: string;
  try {
    text = io.readFile(file);
  } catch (error) {
    io.stderr(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  try {
    const capture = parseCapture(text, { source: basename(file), fields });
    io.stdout(`${JSON.stringify(summarizeCapture(capture), null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof CaptureParseError) {
      io.stderr(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * Text of a capture file's bytes. PowerShell 5 redirection (`nvidia-smi -q -x >
 * log.xml`) writes UTF-16 with a byte-order mark; everything else is UTF-8.
 */
export function decodeCaptureBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  return new TextDecoder("utf-8").decode(bytes);
}

/**
 * `collector run`: validates the configuration (exit 2 naming the bad flag), starts
 * the agent, and on SIGTERM/SIGINT flushes open windows to the spool and exits 0.
 * A second signal exits at once (the spool is safe either way).
 */
async function runAgentProcess(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${RUN_USAGE}\n`);
    return 0;
  }
  const parsed = parseRunConfig(args, process.env);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n${RUN_USAGE}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  let collector: Awaited<ReturnType<typeof startCollector>>;
  try {
    collector = await startCollector(parsed.config, { log });
  } catch (error) {
    log(`cannot start: ${(error as Error).message}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log(`${signal} again: exiting now; unsent batches stay in the spool`);
        process.exit(1);
      }
      stopping = true;
      log(`${signal}: flushing open windows to the spool`);
      collector.stop().then(
        () => resolve(0),
        (error: Error) => {
          log(`shutdown: ${error.message}`);
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** `collector poll`: one poll, printed as JSON; exit 2 naming a bad flag, 1 when the source fails. */
async function pollProcess(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${POLL_USAGE}\n`);
    return 0;
  }
  const parsed = parsePollConfig(args, process.env);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n${POLL_USAGE}\n`);
    return 2;
  }
  try {
    process.stdout.write(`${JSON.stringify(await pollOnce(parsed.config), null, 2)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`poll failed: ${(error as Error).message}\n`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  if (process.argv[2] === "run") {
    void runAgentProcess(process.argv.slice(3)).then((code) => process.exit(code));
  } else if (process.argv[2] === "poll") {
    void pollProcess(process.argv.slice(3)).then((code) => process.exit(code));
  } else {
    process.exitCode = runCli(process.argv.slice(2), {
      readFile: (path) => decodeCaptureBytes(readFileSync(path)),
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    });
  }
}
