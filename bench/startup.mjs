// Benchmark: start-up of commands that need no server — `mrsk version`, `mrsk config`, `mrsk docs` —
// from this checkout and from the npm package installed into an empty project (npm pack + npm
// install), against a bare `node -e 0`, medians of N cold runs each in one run. Prints a markdown
// table for docs/benchmarks.md. Not part of the test suite.
//
//   node bench/startup.mjs [--runs 15]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const runsAt = process.argv.indexOf("--runs");
const RUNS = runsAt < 0 ? 15 : Number(process.argv[runsAt + 1]);

const work = mkdtempSync(path.join(tmpdir(), "mrsk-startup-"));
try {
  execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], { cwd: ROOT });
  const tarball = path.join(work, readdirSync(work).find((f) => f.endsWith(".tgz")));
  const app = path.join(work, "app");
  mkdirSync(app);
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
  execFileSync("npm", ["install", tarball, "--no-audit", "--no-fund", "--prefer-offline", "--silent"], { cwd: app });
  execFileSync("node", [path.join(ROOT, "bin/mrsk"), "init"], { cwd: app, stdio: "ignore" });

  const binaries = { checkout: path.join(ROOT, "bin/mrsk"), installed: path.join(app, "node_modules/mrsk/bin/mrsk") };
  const commands = [["version"], ["config", "--version", "v1"], ["docs", "builder"]];
  const time = (args) => {
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      const start = process.hrtime.bigint();
      const result = spawnSync("node", args, { cwd: app, stdio: "ignore" });
      if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`);
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  };

  const bare = time(["-e", "0"]);
  console.log(`| command | bare \`node -e 0\` | checkout | installed package | checkout ÷ bare | installed ÷ bare |`);
  console.log(`| --- | --- | --- | --- | --- | --- |`);
  for (const args of commands) {
    const checkout = time([binaries.checkout, ...args]);
    const installed = time([binaries.installed, ...args]);
    const ms = (v) => `${Math.round(v)} ms`;
    console.log(`| \`mrsk ${args.join(" ")}\` | ${ms(bare)} | ${ms(checkout)} | ${ms(installed)} | ${(checkout / bare).toFixed(2)}× | ${(installed / bare).toFixed(2)}× |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
