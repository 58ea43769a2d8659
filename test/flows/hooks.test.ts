import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/model.js";
import { select, type Selection } from "../../src/config/selection.js";
import type { FlowContext } from "../../src/flows/context.js";
import { HookError, hookEnv, runHook, type HookName } from "../../src/flows/hooks.js";
import { currentPerformer } from "../../src/flows/identity.js";
import type { OutputEvent } from "../../src/output/events.js";
import { Output } from "../../src/output/output.js";
import { Redactor } from "../../src/output/redact.js";
import { LocalTransport } from "../../src/transport/local.js";
import type { HostSession, Transport } from "../../src/transport/types.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { TestFlowContext } from "../support/flow-context.js";

// Hook variables, and real hook scripts run on this machine through the local transport.

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const KAMAL_MINIMAL = `${MRSK_MINIMAL}proxy:\n  host: app.example.com\n`;

describe("hookEnv", () => {
  const details = { command: "deploy", hosts: ["1.1.1.1", "1.1.1.2"] };

  it("describes the command with MRSK_* variables for an MRSK configuration", () => {
    const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
    const ctx = new TestFlowContext(config);
    ctx.env.USER = "deployer";
    expect(hookEnv(ctx, config, { ...details, subcommand: "now" })).toEqual({
      MRSK_RECORDED_AT: expect.stringMatching(TIMESTAMP),
      MRSK_PERFORMER: currentPerformer(ctx.env, ctx.cwd).name,
      MRSK_VERSION: "999",
      MRSK_SERVICE: "app",
      MRSK_SERVICE_VERSION: "app@999",
      MRSK_HOSTS: "1.1.1.1,1.1.1.2",
      MRSK_COMMAND: "deploy",
      MRSK_SUBCOMMAND: "now",
    });
  });

  it("gives a Kamal configuration the same values as MRSK_* and KAMAL_* variables", () => {
    const config = configFrom(KAMAL_MINIMAL, { env: { ...MRSK_SECRETS, KAMAL_REGISTRY_PASSWORD: "registry-pw-value" } });
    expect(config.era).toBe("kamal");
    const env = hookEnv(new TestFlowContext(config), config, details);
    const mrsk = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("MRSK_")).map(([k, v]) => [k.slice(5), v]));
    const kamal = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("KAMAL_")).map(([k, v]) => [k.slice(6), v]));
    expect(Object.keys(env)).toHaveLength(2 * Object.keys(mrsk).length);
    expect(kamal).toEqual(mrsk);
    expect(mrsk).toMatchObject({ SERVICE: "app", VERSION: "999", SERVICE_VERSION: "app@999", HOSTS: "1.1.1.1,1.1.1.2", COMMAND: "deploy" });
  });

  it("abbreviates the version to 7 characters in SERVICE_VERSION, unless it carries an _uncommitted_ suffix", () => {
    const commit = "0123456789abcdef0123456789abcdef01234567";
    const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS, version: commit });
    const ctx = new TestFlowContext(config);
    expect(hookEnv(ctx, config, details)).toMatchObject({ MRSK_VERSION: commit, MRSK_SERVICE_VERSION: "app@0123456" });
    const dirty = `${commit}_uncommitted_0123456789abcdef`;
    expect(hookEnv(ctx, config, { ...details, version: dirty })).toMatchObject({ MRSK_VERSION: dirty, MRSK_SERVICE_VERSION: `app@${dirty}` });
  });

  it("names the destination only when one was given with -d", () => {
    const project = { deploy: MRSK_MINIMAL, files: { "config/deploy.staging.yml": "servers:\n  - 2.2.2.2\n" } };
    const staging = configFrom(project, { env: MRSK_SECRETS, destination: "staging" });
    expect(hookEnv(new TestFlowContext(staging), staging, details).MRSK_DESTINATION).toBe("staging");
    const plain = configFrom(project, { env: MRSK_SECRETS });
    expect(Object.keys(hookEnv(new TestFlowContext(plain), plain, details))).not.toContain("MRSK_DESTINATION");
  });

  it("lists the roles only when given", () => {
    const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
    const ctx = new TestFlowContext(config);
    expect(hookEnv(ctx, config, { ...details, roles: ["web", "jobs"] }).MRSK_ROLES).toBe("web,jobs");
    expect(Object.keys(hookEnv(ctx, config, details))).not.toContain("MRSK_ROLES");
  });

  it("gives the runtime in whole seconds, rounded, only when known", () => {
    const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
    const ctx = new TestFlowContext(config);
    expect(hookEnv(ctx, config, { ...details, runtimeSeconds: 12.5 }).MRSK_RUNTIME).toBe("13");
    expect(hookEnv(ctx, config, { ...details, runtimeSeconds: 12.49 }).MRSK_RUNTIME).toBe("12");
    expect(hookEnv(ctx, config, { ...details, runtimeSeconds: 0 }).MRSK_RUNTIME).toBe("0");
    expect(Object.keys(hookEnv(ctx, config, details))).not.toContain("MRSK_RUNTIME");
  });
});

// --- runHook with real scripts ---

const projects: string[] = [];
const transports: LocalTransport[] = [];

afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.close();
  for (const cwd of projects.splice(0)) rmSync(cwd, { recursive: true, force: true });
});

/** A flow context over a project directory whose local() is a real shell on this machine. */
class LocalFlowContext implements FlowContext {
  readonly env: Record<string, string | undefined> = { USER: "deployer" };
  readonly events: OutputEvent[] = [];
  readonly output = new Output({ format: "json", render: (event) => this.events.push(event) }, new Redactor(), "verbose");
  private readonly interrupt = new AbortController();
  readonly signal = this.interrupt.signal;
  readonly options: { skipHooks?: boolean };
  /** Reports to (and is redacted by) this context's output, as the CLI's local transport is. */
  private readonly localTransport = new LocalTransport({ redact: this.output.redactor.redact, listener: this.output.emit });

  constructor(
    readonly cwd: string,
    private readonly loaded: Config,
    readonly dryRun = false,
    skipHooks = false,
  ) {
    this.options = { skipHooks };
    transports.push(this.localTransport);
  }

  abort(reason: Error): void {
    this.interrupt.abort(reason);
  }

  async config(): Promise<Config> {
    return this.loaded;
  }

  async selection(): Promise<Selection> {
    return select(this.loaded, {});
  }

  async transport(): Promise<Transport> {
    throw new Error("hooks run locally; no host is reached");
  }

  async local(): Promise<HostSession> {
    return this.localTransport.session("localhost");
  }
}

/** A project directory with config/deploy.yml and `files`, loaded with the real loader at version 999. */
function project(deploy: string, files: Record<string, string> = {}): { cwd: string; config: Config } {
  const cwd = realpathSync(mkdtempSync(join(tmpdir(), "mrsk-hooks-")));
  projects.push(cwd);
  for (const [path, text] of Object.entries({ "config/deploy.yml": deploy, ...files })) {
    mkdirSync(dirname(join(cwd, path)), { recursive: true });
    writeFileSync(join(cwd, path), text);
  }
  const config = loadConfig({ cwd, version: "999", env: { PATH: process.env.PATH, ...MRSK_SECRETS }, toolVersion: "test" });
  return { cwd, config };
}

function writeHook(cwd: string, config: Config, hook: HookName, body: string): void {
  const path = join(cwd, config.hooksPath, hook);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A hook that records its environment in hook-<name>.env (NUL-separated) and its directory in hook-<name>.pwd, both relative to where it runs. */
const RECORDING = 'name=$(basename "$0")\nenv -0 > "hook-$name.env"\npwd > "hook-$name.pwd"';

function recordedEnv(cwd: string, hook: HookName): Record<string, string> {
  const text = readFileSync(join(cwd, `hook-${hook}.env`), "utf8");
  return Object.fromEntries(
    text
      .split("\0")
      .filter((entry) => entry !== "")
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

const onlyPrefixed = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("MRSK_") || k.startsWith("KAMAL_")));

const MRSK_APP = "service: app\nimage: dhh/app\nservers:\n  - 1.1.1.1\n  - 1.1.1.2\nregistry:\n  server: localhost:5000\n";

describe("runHook", () => {
  it("runs the hook in the project directory with the MRSK_* variables and the context's environment", async () => {
    const { cwd, config } = project(MRSK_APP);
    writeHook(cwd, config, "pre-deploy", RECORDING);
    const ctx = new LocalFlowContext(cwd, config);
    ctx.env.DEPLOY_NOTE = "from the context";
    await runHook(ctx, config, "pre-deploy", { command: "deploy", hosts: config.allHosts, roles: ["web"], runtimeSeconds: 3.7 });

    expect(readFileSync(join(cwd, "hook-pre-deploy.pwd"), "utf8")).toBe(`${cwd}\n`);
    const env = recordedEnv(cwd, "pre-deploy");
    expect(onlyPrefixed(env)).toEqual({
      MRSK_RECORDED_AT: expect.stringMatching(TIMESTAMP),
      MRSK_PERFORMER: currentPerformer(ctx.env, cwd).name,
      MRSK_VERSION: "999",
      MRSK_SERVICE: "app",
      MRSK_SERVICE_VERSION: "app@999",
      MRSK_HOSTS: "1.1.1.1,1.1.1.2",
      MRSK_ROLES: "web",
      MRSK_COMMAND: "deploy",
      MRSK_RUNTIME: "4",
    });
    expect(env.DEPLOY_NOTE).toBe("from the context");
    expect(ctx.events.filter((e) => e.type === "phase")).toEqual([{ type: "phase", title: "Running the pre-deploy hook" }]);
    expect(ctx.events.filter((e) => e.type === "command")).toEqual([{ type: "command", host: "localhost", line: join(cwd, ".mrsk/hooks/pre-deploy") }]);
  });

  it("throws HookError with the hook's exit code and output when the hook fails", async () => {
    const { cwd, config } = project(MRSK_APP);
    writeHook(cwd, config, "pre-deploy", 'echo "migrations pending: 2"\necho "refusing to deploy" >&2\nexit 3');
    const ctx = new LocalFlowContext(cwd, config);
    const error = await runHook(ctx, config, "pre-deploy", { command: "deploy", hosts: config.allHosts }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HookError);
    expect(error).toMatchObject({
      message: "Hook `pre-deploy` failed with exit code 3:\nmigrations pending: 2\nrefusing to deploy",
      hint: "fix what it reports, or run with -H to skip hooks",
    });
    // Its output was shown as it ran.
    expect(ctx.events.filter((e) => e.type === "output").map((e) => (e.type === "output" ? `${e.stream}: ${e.text}` : ""))).toEqual([
      "stdout: migrations pending: 2",
      "stderr: refusing to deploy",
    ]);
  });

  it("runs a hook whose path holds ${NAME} literally, never expanded by a shell", async () => {
    const { cwd, config } = project(`${MRSK_APP}hooks_path: "hooks-\${HOME}"\n`);
    writeHook(cwd, config, "pre-deploy", RECORDING);
    const ctx = new LocalFlowContext(cwd, config);
    await runHook(ctx, config, "pre-deploy", { command: "deploy", hosts: config.allHosts });
    expect(existsSync(join(cwd, "hook-pre-deploy.env"))).toBe(true);
    expect(ctx.events.filter((e) => e.type === "command")).toEqual([{ type: "command", host: "localhost", line: `'${join(cwd, "hooks-${HOME}/pre-deploy")}'` }]);
  });

  it("skips a hook that does not exist", async () => {
    const { cwd, config } = project(MRSK_APP);
    const ctx = new LocalFlowContext(cwd, config);
    await expect(runHook(ctx, config, "pre-deploy", { command: "deploy", hosts: config.allHosts })).resolves.toBeUndefined();
    expect(ctx.events).toEqual([]);
  });

  it("does not run any hook when hooks are skipped (-H)", async () => {
    const { cwd, config } = project(MRSK_APP);
    writeHook(cwd, config, "pre-deploy", `${RECORDING}\nexit 1`);
    const ctx = new LocalFlowContext(cwd, config, false, true);
    await runHook(ctx, config, "pre-deploy", { command: "deploy", hosts: config.allHosts });
    expect(existsSync(join(cwd, "hook-pre-deploy.env"))).toBe(false);
    expect(ctx.events).toEqual([]);
  });

  it("with --dry-run, reports the hook it would run and does not run it", async () => {
    const { cwd, config } = project(MRSK_APP);
    writeHook(cwd, config, "pre-deploy", `${RECORDING}\nexit 1`);
    const ctx = new LocalFlowContext(cwd, config, true);
    await runHook(ctx, config, "pre-deploy", { command: "deploy", hosts: config.allHosts });
    expect(existsSync(join(cwd, "hook-pre-deploy.env"))).toBe(false);
    expect(ctx.events).toEqual([{ type: "info", message: "Would run the pre-deploy hook (.mrsk/hooks/pre-deploy)" }]);
  });

  it("gives pre-deploy, but not pre-build, the secrets of a Kamal-era project (.kamal/secrets)", async () => {
    const { cwd, config } = project(MRSK_APP.replace("registry:\n  server: localhost:5000\n", "registry:\n  username: user\n  password:\n    - KAMAL_REGISTRY_PASSWORD\n") + "env:\n  secret:\n    - RAILS_MASTER_KEY\n", {
      ".kamal/secrets": "KAMAL_REGISTRY_PASSWORD=registry-from-file\nRAILS_MASTER_KEY=master-from-file\n",
    });
    expect(config.era).toBe("kamal");
    expect(config.hooksPath).toBe(".kamal/hooks");
    writeHook(cwd, config, "pre-deploy", RECORDING);
    writeHook(cwd, config, "pre-build", RECORDING);
    const ctx = new LocalFlowContext(cwd, config);
    await runHook(ctx, config, "pre-build", { command: "build", subcommand: "push", hosts: config.allHosts });
    await runHook(ctx, config, "pre-deploy", { command: "deploy", hosts: config.allHosts });

    const deployEnv = recordedEnv(cwd, "pre-deploy");
    expect(deployEnv).toMatchObject({ KAMAL_REGISTRY_PASSWORD: "registry-from-file", RAILS_MASTER_KEY: "master-from-file", KAMAL_SERVICE: "app", MRSK_SERVICE: "app" });
    const buildEnv = recordedEnv(cwd, "pre-build");
    expect(buildEnv).toMatchObject({ KAMAL_COMMAND: "build", KAMAL_SUBCOMMAND: "push", MRSK_COMMAND: "build" });
    expect(Object.keys(buildEnv)).not.toContain("RAILS_MASTER_KEY");
    expect(Object.keys(buildEnv)).not.toContain("KAMAL_REGISTRY_PASSWORD");
  });
});
