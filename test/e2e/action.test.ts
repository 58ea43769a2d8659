import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { createProject, describeRig, proxyConfig, resetHosts, type Project } from "./support/project.js";
import { httpGet, REPO_ROOT, rigUp, type RigState } from "./support/rig.js";

// The GitHub Action's step script (tools/action/run, what action.yml runs) against the test hosts,
// with the variables a GitHub runner sets: the key reaches mrsk only through an ssh-agent, host keys
// only through the known-hosts input, and the job summary gets a table.

const RUN = path.join(REPO_ROOT, "tools/action/run");
const ADDRESSES = ["10.213.0.11", "10.213.0.12"];

let rig: RigState;
let project: Project;
let runner: string;
let lastOutput = "";

interface ActionRun {
  exitCode: number;
  output: string;
  summary: string;
}

async function action(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  const summaryFile = path.join(runner, `summary-${Date.now()}.md`);
  const result = await promisify(execFile)(RUN, [], {
    cwd: project.dir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: project.home,
      DOCKER_HOST: rig.deployerDockerHost,
      DOCKER_CONFIG: rig.deployerDockerConfig,
      GITHUB_ACTIONS: "true",
      GITHUB_ACTION_PATH: REPO_ROOT,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_SERVER_URL: "https://github.example",
      GITHUB_REPOSITORY: "acme/app",
      GITHUB_RUN_ID: "4242",
      RUNNER_TEMP: runner,
      ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`MRSK_ACTION_${name.toUpperCase().replaceAll("-", "_")}`, value])),
      ...env,
    },
    timeout: 180_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
  );
  lastOutput = result.stdout + result.stderr;
  let summary = "";
  try {
    summary = readFileSync(summaryFile, "utf8");
  } catch {
    summary = "";
  }
  return { exitCode: result.code, output: lastOutput, summary };
}

const key = (): string => readFileSync(rig.sshKey, "utf8");
const knownHosts = (): string => readFileSync(rig.knownHosts, "utf8");

beforeAll(async () => {
  rig = await rigUp({ hosts: 2 });
  await resetHosts(rig);
  runner = mkdtempSync(path.join(tmpdir(), "mrsk-e2e-runner-"));
  project = createProject(rig, "ghaction");
  // No ssh.keys: the key must come from the action's agent.
  // Its own image repository: versions it leaves on the hosts are not another test's.
  project.writeConfig(proxyConfig(rig, "ghaction", { host: "ghaction.test", image: "mrsk-e2e/sample-ghaction" }).replace(/^ssh:\n {2}keys:\n {4}- .*\n/m, ""));
  rmSync(path.join(project.home, ".ssh/known_hosts"));
});

afterAll(async () => {
  project?.remove();
  rmSync(runner, { recursive: true, force: true });
  await resetHosts(rig);
});

describe("the GitHub Action", () => {
  it("deploys with the key from its ssh-private-key input and writes the job summary", async () => {
    onTestFailed(async () => console.error(`action output:\n${lastOutput}\n\nrig:\n${await describeRig(rig)}`));
    // A hook sees the environment mrsk runs with: the key must not be in it.
    mkdirSync(path.join(project.dir, ".kamal/hooks"), { recursive: true });
    writeFileSync(path.join(project.dir, ".kamal/hooks/pre-connect"), `#!/bin/sh\nenv > "${runner}/hook-env"\n`, { mode: 0o755 });
    const run = await action({ command: "setup", version: "a1", "ssh-private-key": key(), "known-hosts": knownHosts(), "lock-wait": "30" }, { VERSION: "a1" });
    expect(readFileSync(path.join(runner, "hook-env"), "utf8")).not.toContain("PRIVATE KEY");
    expect(run.exitCode).toBe(0);
    for (const address of ADDRESSES) expect((await httpGet(address, "/version", { host: "ghaction.test" })).body.trim()).toBe("a1");
    expect(run.summary).toMatch(/^### mrsk setup: succeeded in [\d.]+ s\n/);
    for (const address of ADDRESSES) expect(run.summary).toContain(`| ${address} |`);
    expect(run.output).toContain("* ");
    expect(run.output).not.toContain("BEGIN OPENSSH PRIVATE KEY");
    // Host keys were checked against the input only: nothing was recorded in the user's known_hosts.
    expect(existsSync(path.join(project.home, ".ssh/known_hosts"))).toBe(false);
    // The agent and the step's files lived only for the step.
    expect(readdirSync(runner).filter((f) => f.startsWith("mrsk-action."))).toEqual([]);
  });

  it("passes quoted arguments through (app exec --reuse \"…\")", async () => {
    const run = await action({ command: "app exec", "ssh-private-key": key(), "known-hosts": knownHosts(), args: `--reuse "echo 'hello  world'"` });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain("hello  world");
  });

  it("refuses hosts whose keys the known-hosts input does not list, naming the host", async () => {
    const run = await action({ command: "lock status", "ssh-private-key": key(), "known-hosts": "10.213.0.99 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0ZsB1JqNbLh9N7sB0b1pYk9s5m5kq3Qm1m4mTt6f4b" });
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain("10.213.0.11");
    expect(run.summary).toContain("failed");
  });

  it("fails at once with a clear message when the key input is empty or not a key", async () => {
    expect((await action({ command: "deploy", "ssh-private-key": "" })).output).toContain("the ssh-private-key input is empty");
    const bad = await action({ command: "deploy", "ssh-private-key": "not a key" });
    expect(bad.exitCode).toBe(2);
    expect(bad.output).toContain("ssh-add refused the ssh-private-key input");
  });
});
