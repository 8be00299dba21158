import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Integration suites each migrate their own database; give them time on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
