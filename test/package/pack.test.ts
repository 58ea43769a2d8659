import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// The package as users get it: `npm pack`, installed into an empty project, then run with npx there.
// Dependencies come from the npm registry (or npm's cache, warmed by `npm ci`).

const ROOT = join(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "mrsk-pack-"));
const app = join(work, "app");

afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
}

describe("the npm package", () => {
  it("installs from its tarball into an empty directory and runs version, init, config, docs and schema there", () => {
    if (!existsSync(join(ROOT, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
    run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], ROOT);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
    expect(tarball).toMatch(/^mrsk-\d+\.\d+\.\d+\.tgz$/);

    execFileSync("mkdir", [app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
    run("npm", ["install", join(work, tarball), "--no-audit", "--no-fund", "--prefer-offline", "--silent"], app);

    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(run("npx", ["--no-install", "mrsk", "version"], app).trim()).toBe(version);

    run("npx", ["--no-install", "mrsk", "init"], app);
    const config = readFileSync(join(app, "config/deploy.yml"), "utf8");
    expect(config.split("\n")[0]).toBe("# yaml-language-server: $schema=../node_modules/mrsk/dist/deploy.schema.json");
    expect(existsSync(join(app, "node_modules/mrsk/dist/deploy.schema.json"))).toBe(true);

    const described = JSON.parse(run("npx", ["--no-install", "mrsk", "config", "--json", "--version", "v1"], app)) as { text?: string; data?: { service?: string } };
    expect(described.data?.service).toBe("my-app");
    expect(run("npx", ["--no-install", "mrsk", "docs", "builder"], app)).toMatch(/^### 5\.5 `builder`/);
    expect(JSON.parse(run("npx", ["--no-install", "mrsk", "schema"], app)).title).toBe("mrsk config/deploy.yml");
  }, 240_000);
});
