import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeClis } from "../support/fake-cli.js";

// The built `mrsk envify` and `mrsk secrets …`: what reaches stdout, stderr and the exit status.

const BIN = join(import.meta.dirname, "../../bin/mrsk");
let project: string;
let fakes: FakeClis;

async function mrsk(...args: string[]) {
  return execa("node", [BIN, ...args], { cwd: project, env: { HOME: project, PATH: `${fakes.dir}:${process.env.PATH!}` }, extendEnv: false, reject: false, stdin: "ignore" });
}

beforeAll(() => {
  if (!readFileSync(join(import.meta.dirname, "../../dist/cli/main.js"), "utf8")) throw new Error("dist/ is missing: run `npm run build` first");
});
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), "mrsk-secrets-cli-"));
  fakes = new FakeClis();
});
afterEach(() => {
  rmSync(project, { recursive: true, force: true });
  fakes.remove();
});

describe("mrsk secrets fetch|extract", () => {
  const list = JSON.stringify([{ key: "DB_PASSWORD", value: "db pass'word" }]);
  const bws = [{ argv: ["--version"] }, { argv: ["project", "list"] }, { argv: ["secret", "list", "proj"], stdout: list }];

  it("fetch prints the JSON (shell-escaped with --inline), extract one value", async () => {
    fakes.install("bws", bws);
    const fetched = await mrsk("secrets", "fetch", "--adapter", "bitwarden-sm", "--from", "proj", "all");
    fakes.verify();
    expect(fetched).toMatchObject({ exitCode: 0, stdout: `{"DB_PASSWORD":"db pass'word"}`, stderr: "" });

    fakes.install("bws", bws);
    const inline = await mrsk("secrets", "fetch", "-a", "bitwarden-sm", "proj/all", "--inline");
    fakes.verify();
    expect(inline.stdout).toBe(`\\{\\"DB_PASSWORD\\":\\"db\\ pass\\'word\\"\\}`);

    const extracted = await mrsk("secrets", "extract", "DB_PASSWORD", fetched.stdout);
    expect(extracted).toMatchObject({ exitCode: 0, stdout: "db pass'word" });
  });

  it("errors go to stderr with a hint and exit 1", async () => {
    const missing = await mrsk("secrets", "fetch", "--adapter", "lastpass", "X");
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("Missing required option '--account'");

    const notInstalled = await mrsk("secrets", "fetch", "--adapter", "lastpass", "--account", "me@example.com", "X");
    expect(notInstalled.exitCode).toBe(1);
    expect(notInstalled.stderr).toContain("LastPass CLI is not installed: `lpass --version` did not run");
    expect(notInstalled.stderr).toContain("make sure `lpass` is on PATH");
  });
});

describe("mrsk secrets print", () => {
  beforeEach(() => {
    mkdirSync(join(project, "config"));
    mkdirSync(join(project, ".kamal"));
    writeFileSync(
      join(project, "config/deploy.yml"),
      ["service: app", "image: app", "servers: [192.0.2.1]", "registry:", "  username: u", "  password: [KAMAL_REGISTRY_PASSWORD]", "proxy: {}", ""].join("\n"),
    );
    writeFileSync(join(project, ".kamal/secrets"), "KAMAL_REGISTRY_PASSWORD=registry-secret-value\nSHORT=ab\nEMPTY=\n");
  });

  it("masks every value, even short ones, unless --reveal", async () => {
    const masked = await mrsk("secrets", "print");
    expect(masked.exitCode).toBe(0);
    expect(masked.stdout).toBe("KAMAL_REGISTRY_PASSWORD=[REDACTED]\nSHORT=[REDACTED]\nEMPTY=");
    const revealed = await mrsk("secrets", "print", "--reveal");
    expect(revealed.stdout).toBe("KAMAL_REGISTRY_PASSWORD=registry-secret-value\nSHORT=ab\nEMPTY=");
  });
});

describe("mrsk envify", () => {
  it("writes .env with mode 0600 and says so, without printing values", async () => {
    writeFileSync(join(project, ".env.erb"), "TOKEN=<%= `printf envify-secret` %>\n");
    const result = await mrsk("envify");
    expect(result.exitCode).toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain("Wrote .env from .env.erb (mode 0600)");
    expect(`${result.stdout}${result.stderr}`).not.toContain("envify-secret");
    expect(readFileSync(join(project, ".env"), "utf8")).toBe("TOKEN=envify-secret\n");
    expect(statSync(join(project, ".env")).mode & 0o777).toBe(0o600);
  });

  it("fails with file and line, exit 1", async () => {
    writeFileSync(join(project, ".env.staging.erb"), "A=1\nB=<%= `exit 3` %>\n");
    const result = await mrsk("envify", "-d", "staging");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(".env.staging.erb:2: a shell command failed with exit status 3");
  });
});
