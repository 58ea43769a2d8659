import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Global options that contradict each other are refused before anything runs; a dry run always
// prints its plan.

const BIN = join(import.meta.dirname, "../../bin/mrsk");
let project: string;

function mrsk(...args: string[]) {
  return execa("node", [BIN, ...args], { cwd: project, env: { HOME: project, PATH: process.env.PATH!, VERSION: "999", MRSK_REGISTRY_PASSWORD: "pw" }, extendEnv: false, reject: false, stdin: "ignore" });
}

beforeAll(() => {
  if (!existsSync(join(import.meta.dirname, "../../dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  project = mkdtempSync(join(tmpdir(), "mrsk-options-"));
  mkdirSync(join(project, "config"));
  writeFileSync(join(project, "config/deploy.yml"), "service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry: { username: u, password: [MRSK_REGISTRY_PASSWORD] }\n");
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("contradicting global options", () => {
  it.each([
    [["-q", "-v", "config"], "error: option '-q, --quiet' cannot be used with option '-v, --verbose'"],
    [["config", "--quiet", "--verbose"], "error: option '-q, --quiet' cannot be used with option '-v, --verbose'"],
    [["-q", "--dry-run", "app", "boot"], "error: option '-q, --quiet' cannot be used with option '--dry-run'"],
    [["app", "boot", "--dry-run", "-q"], "error: option '-q, --quiet' cannot be used with option '--dry-run'"],
  ])("mrsk %j is refused", async (args, message) => {
    const result = await mrsk(...args);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(message);
    expect(result.stdout).toBe("");
  });

  it("a dry run prints its plan, -v or not", async () => {
    for (const args of [["app", "boot", "--dry-run"], ["-v", "app", "boot", "--dry-run"]]) {
      const result = await mrsk(...args);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("docker run");
    }
  });
});

describe("flags that would widen what a command touches", () => {
  it.each([
    [["remove", "-y", "-h", ""], '--hosts "" names no host'],
    [["remove", "-y", "-h", ",,,"], '--hosts ",,," names no host'],
    [["remove", "-y", "-r", " , "], '--roles " , " names no role'],
    [["remove", "-y", "-d", "x/../../evil"], `argument 'x/../../evil' is invalid. It should only contain letters, digits, "-" and "_", got "x/../../evil"`],
  ])("mrsk %j stops before connecting to any host", async (args, message) => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    try {
      writeFileSync(join(project, "config/deploy.yml"), `service: app\nimage: dhh/app\nservers: [127.0.0.1]\nregistry: { username: u, password: [MRSK_REGISTRY_PASSWORD] }\nssh: { port: ${port} }\n`);
      const result = await mrsk(...args);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(message);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe("a destination that is a path", () => {
  it("is refused by every command, envify included (which writes .env.<destination>)", async () => {
    // `.env../../x` would be the file `x` in the project, from the template `x.erb`.
    writeFileSync(join(project, "x.erb"), "A=1\n");
    const result = await mrsk("envify", "-d", "./../x");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`argument './../x' is invalid. It should only contain letters, digits, "-" and "_"`);
    expect(existsSync(join(project, "x"))).toBe(false);
  });
});
