/**
 * npm run build:collector: bundles the collector (collectors/cli.ts and everything
 * it imports, npm packages included) into one ES module that runs on Node alone:
 * dist/collector/gpu-roi-collector.mjs. Copy that file to a GPU node and run
 * `node gpu-roi-collector.mjs run ...`; no node_modules, no TypeScript at start.
 */
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";

export const COLLECTOR_BUNDLE = path.join("dist", "collector", "gpu-roi-collector.mjs");

/** Builds the bundle under `projectRoot`; returns its path and size. */
export async function buildCollectorBundle(projectRoot: string): Promise<{ file: string; bytes: number }> {
  const outfile = path.join(projectRoot, COLLECTOR_BUNDLE);
  await build({
    absWorkingDir: projectRoot,
    entryPoints: ["collectors/cli.ts"],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    minify: true,
    // Licences of the bundled packages stay with the file, at its end.
    legalComments: "eof",
    logLevel: "warning",
    banner: {
      // CommonJS packages in the bundle (prom-client) call require() for Node's own modules; an ES module has none.
      js: "#!/usr/bin/env node\nimport { createRequire as __collectorCreateRequire } from 'node:module'; const require = __collectorCreateRequire(import.meta.url);",
    },
  });
  fs.chmodSync(outfile, 0o755);
  return { file: outfile, bytes: fs.statSync(outfile).size };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("build-collector.ts")) {
  const { file, bytes } = await buildCollectorBundle(process.cwd());
  console.log(`${path.relative(process.cwd(), file)}: ${(bytes / 1024).toFixed(0)} KiB; run it with: node ${path.relative(process.cwd(), file)} --help`);
}
