import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

/** Database suites (both SQLite and PostgreSQL) and browser suites, by file name. */
const INTEGRATION = "test/**/*.integration.test.ts";
const E2E = "test/**/*.e2e.test.ts";
/**
 * Suites with no database that still take tens of seconds on 2 cores: they start
 * processes (the solver and collector command lines through tsx, shells running
 * exported plans) or solve whole cluster traces. They run with the integration
 * suites so the unit project stays a loop of seconds.
 */
const PROCESS_SUITES = [
  "test/solver/cli.test.ts",
  "test/solver/plan/plan-cli.test.ts",
  "test/solver/openb.test.ts",
  "test/security/plan-export-shell.test.ts",
  "test/server/domain/shell-script.test.ts",
  "test/collectors/sources/cli.test.ts",
];

export default defineConfig({
  // The app's "@/…" imports (tsconfig paths), for tests of app/ modules.
  resolve: { alias: [{ find: /^@\//, replacement: fileURLToPath(new URL("./", import.meta.url)) }] },
  test: {
    environment: "node",
    // Integration suites each migrate their own database; give them time on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // `npm test` runs all three; `npm run test:unit` (no database, no browser, no process started),
    // `test:integration` and `test:e2e` run one each (`vitest run --project NAME`).
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, INTEGRATION, E2E, ...PROCESS_SUITES] } },
      { extends: true, test: { name: "integration", include: [INTEGRATION, ...PROCESS_SUITES] } },
      { extends: true, test: { name: "e2e", include: [E2E] } },
    ],
  },
});
