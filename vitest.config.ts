import { defineConfig } from "vitest/config";

// Two projects: `unit` (fast, no root needed except the loopback sshd test, which needs openssh-server)
// and `e2e` (the namespaced test hosts of tools/rig; needs root and the apt packages .ci/run installs).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**", "node_modules/**"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
