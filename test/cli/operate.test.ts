import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The built `mrsk` parsing the operating commands' options, with --dry-run printing what each host
// would run (no host is reached): every option reaches its flow, aliases expand, removals ask.

const BIN = join(import.meta.dirname, "../../bin/mrsk");
let project: string;

async function mrsk(...args: string[]) {
  const result = await execa("node", [BIN, ...args], { cwd: project, env: { HOME: project, PATH: process.env.PATH!, VERSION: "999" }, extendEnv: false, reject: false, stdin: "ignore" });
  return { ...result, lines: result.stdout.split("\n").map((l) => l.replace(/\[\d{4}-\d\d-\d\dT[\d:]+Z\] \[[^\]]+\]/, "[TIME] [USER]")) };
}

beforeAll(() => {
  if (!existsSync(join(import.meta.dirname, "../../dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  project = mkdtempSync(join(tmpdir(), "mrsk-operate-cli-"));
  mkdirSync(join(project, "config"));
  writeFileSync(
    join(project, "config/deploy.yml"),
    [
      "service: app",
      "image: dhh/app",
      "servers:",
      "  web: [1.1.1.1, 1.1.1.2]",
      "  jobs:",
      "    hosts: [1.1.1.2]",
      "registry:",
      "  username: user",
      "  password: [MRSK_REGISTRY_PASSWORD]",
      "traefik: {}",
      "accessories:",
      "  cache:",
      "    image: redis:7",
      "    host: 1.1.1.3",
      "aliases:",
      '  console: app exec -i --reuse "bin/rails console"',
      "  tail: app logs -f -r web",
      "",
    ].join("\n"),
  );
  writeFileSync(join(project, ".env"), "MRSK_REGISTRY_PASSWORD=registry-secret\n");
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("mrsk app … --dry-run", () => {
  it("app logs passes -s, -n, -g and -r through", async () => {
    const run = await mrsk("--dry-run", "app", "logs", "-s", "5m", "-n", "20", "-g", "GET /", "-r", "jobs");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toContain("docker logs");
    expect(run.lines).toContain("[1.1.1.2] No running container of app-jobs");
    expect(run.lines.filter((l) => l.includes("[1.1.1.1]"))).toEqual([]);
  });

  it("app exec joins the command's words and adds each -e", async () => {
    const run = await mrsk("--dry-run", "-p", "app", "exec", "-e", "A=1", "-e", "B=two words", "bin/rails", "runner 'puts 1'");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^\[1\.1\.1\.1\] \$ docker run --rm --env MRSK_CONTAINER_NAME=app-web-999 .* --env A=1 --env 'B=two words' dhh\/app:999 bin\/rails runner 'puts 1'$/m);
  });

  it("app stale_containers --stop takes the lock; --skip-lock does not", async () => {
    const locked = await mrsk("--dry-run", "app", "stale-containers", "--stop");
    expect(locked.stdout).toContain("[1.1.1.1] $ mkdir -p .mrsk && mkdir .mrsk/lock-app");
    const unlocked = await mrsk("--dry-run", "app", "stop", "--skip-lock");
    expect(unlocked.stdout).not.toContain("lock-app");
    expect(unlocked.stderr).toContain("WARNING Not taking the deploy lock (--skip-lock)");
    expect(unlocked.lines).toContain(
      "[1.1.1.2] $ mkdir -p .mrsk/app && echo '[TIME] [USER] [jobs] Stopped app' >> .mrsk/app/audit.log && docker ps --quiet --filter label=service=app --filter label=destination= --filter label=role=jobs --filter status=running --filter status=restarting | xargs --no-run-if-empty docker stop",
    );
  });

  it("app maintenance is refused with Traefik", async () => {
    const run = await mrsk("app", "maintenance");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("ERROR app maintenance needs a proxy with a maintenance mode; this configuration uses Traefik");
  });
});

describe("removing", () => {
  it("a dry run shows the plan and every command without asking", async () => {
    const run = await mrsk("--dry-run", "remove");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("Removing app deletes:");
    expect(run.stdout).toContain("[1.1.1.3] $ rm -rf app-cache .mrsk/app/env/accessories/cache.env");
  });

  it("stops at a host that cannot be reached, before asking or changing anything", async () => {
    writeFileSync(join(project, "config/deploy.unreachable.yml"), "servers:\n  - 127.0.0.1\nssh:\n  port: 1\naccessories: {}\n");
    const run = await mrsk("-d", "unreachable", "app", "remove");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/Could not connect to 127\.0\.0\.1/);
  });
});

describe("aliases", () => {
  it("run their command line with the extra arguments appended", async () => {
    const run = await mrsk("--dry-run", "tail", "-n", "3");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("Following the logs on 1.1.1.1, 1.1.1.2; press Ctrl-C to stop");
    const console = await mrsk("--dry-run", "-h", "1.1.1.2", "console");
    expect(console.exitCode).toBe(0);
    expect(console.stdout).toContain("Running bin/rails console in app-web-999 on 1.1.1.2\n[1.1.1.2] $ docker exec -it app-web-999 bin/rails console");
  });

  it("an unknown command is still an error", async () => {
    const run = await mrsk("consol");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("error: unknown command 'consol'");
  });
});
