import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The app's "@/…" imports (tsconfig paths), for tests of app/ modules.
  resolve: { alias: [{ find: /^@\//, replacement: fileURLToPath(new URL("./", import.meta.url)) }] },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Integration suites each migrate their own database; give them time on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
