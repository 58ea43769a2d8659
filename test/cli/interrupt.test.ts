import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait.js";

// Commands the configuration runs while it is read (ERB backticks, `$(…)` in secrets files) stop
// at once with mrsk on SIGINT/SIGTERM, their whole process group with them, and nothing connects.

const BIN = join(import.meta.dirname, "../../bin/mrsk");
// The command starts a child (as a pipeline stage would) and records its pid, then waits for it.
const SLOW = "sleep 15 & echo $! > sleep.pid; wait";
let project: string | undefined;
let server: Server | undefined;

beforeAll(() => {
  if (!existsSync(join(import.meta.dirname, "../../dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
});

afterEach(() => {
  server?.close();
  server = undefined;
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
  project = undefined;
});

function projectWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mrsk-interrupt-"));
  project = dir;
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function interruptWhileSlow(cwd: string, signal: NodeJS.Signals, args: string[]) {
  const run = execa("node", [BIN, ...args], { cwd, env: { HOME: project, PATH: process.env.PATH!, VERSION: "999", MRSK_REGISTRY_PASSWORD: "pw" }, extendEnv: false, reject: false, stdin: "ignore" });
  const pidFile = join(cwd, "sleep.pid");
  await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", 10_000, () => "the slow command never started");
  const sleepPid = Number(readFileSync(pidFile, "utf8"));
  expect(alive(sleepPid)).toBe(true);
  run.kill(signal);
  let exited = false;
  void run.then(() => (exited = true));
  // Well before the 15 s the command would take.
  await waitFor(() => exited, 3_000, () => `mrsk still runs after ${signal}`);
  await waitFor(() => !alive(sleepPid), 3_000, () => `the shell-out's child ${sleepPid} outlived mrsk`);
  return run;
}

const deploy = (extra: string): string => `service: app\nimage: dhh/app\nservers: [127.0.0.1]\nregistry: { username: u, password: [MRSK_REGISTRY_PASSWORD] }\n${extra}`;

describe("interrupting a configuration that runs a command", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("an ERB backtick stops with mrsk on %s, with its process group", async (signal) => {
    const cwd = projectWith({ "config/deploy.yml": deploy(`env: { clear: { SLOW: "<%= \`${SLOW}\` %>" } }\n`) });
    const result = await interruptWhileSlow(cwd, signal, ["config"]);
    expect(result.stdout).not.toContain("SLOW");
  });

  it("a $(command) in .kamal/secrets stops with mrsk on SIGTERM", async () => {
    const cwd = projectWith({ "config/deploy.yml": deploy(""), ".kamal/secrets": `MRSK_REGISTRY_PASSWORD=$(${SLOW})\n` });
    await interruptWhileSlow(cwd, "SIGTERM", ["config"]);
  });

  it("an interrupted --dry-run never goes on to connect", async () => {
    let connections = 0;
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    const port = await new Promise<number>((resolve) => server!.listen(0, "127.0.0.1", () => resolve((server!.address() as { port: number }).port)));
    const cwd = projectWith({ "config/deploy.yml": deploy(`ssh: { port: ${port} }\nenv: { clear: { SLOW: "<%= \`${SLOW}\` %>" } }\n`) });
    const result = await interruptWhileSlow(cwd, "SIGINT", ["deploy", "--dry-run"]);
    expect(result.stdout).not.toContain("docker");
    expect(connections).toBe(0);
  });
});

describe("after an interrupt", () => {
  it("the context opens no transport, dry run or not", async () => {
    const { Context } = await import("../../src/cli/context.js");
    const { InterruptedError } = await import("../../src/flows/with-lock.js");
    for (const dryRun of [true, false]) {
      const ctx = await Context.create({ options: { dryRun }, cwd: tmpdir(), env: { HOME: tmpdir() }, sinks: { out: () => undefined, err: () => undefined } });
      ctx.abort(new InterruptedError("SIGINT"));
      await expect(ctx.transport()).rejects.toThrow("Interrupted by SIGINT");
    }
  });
});
