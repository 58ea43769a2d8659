// A throwaway app project deployed to the rig with the real `mrsk` command: the sample app's
// files, a config/deploy.yml aimed at the rig's hosts and registry, a .env with its secrets, and a
// HOME whose known_hosts holds the rig's host keys.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { onTestFailed } from "vitest";
import { REPO_ROOT, onHost, type RigState } from "./rig.js";

export const MRSK_BIN = path.join(REPO_ROOT, "bin/mrsk");
export const APP_SECRET = "e2e-secret-value-4af1c2";

export interface Project {
  dir: string;
  home: string;
  service: string;
  /** Environment for `mrsk` runs: the deployer's docker, HOME, PATH. */
  env: Record<string, string>;
  /** Runs `mrsk …` to completion (never rejects on a non-zero exit). */
  mrsk(args: readonly string[], extraEnv?: Record<string, string>): Promise<MrskRun>;
  /** Starts `mrsk …` and returns the running process. */
  spawn(args: readonly string[], extraEnv?: Record<string, string>): ResultPromise;
  writeConfig(yaml: string, file?: string): void;
  remove(): void;
}

export interface MrskRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  output: string;
}

/**
 * What every test config shares: a registry (by default the rig's, its password from the
 * MRSK_REGISTRY_PASSWORD secret), a single-platform build of the sample app (`multiarch: false`:
 * buildx with the docker driver, the deployer's own BuildKit) with VERSION and BROKEN build args,
 * and the rig's SSH key.
 */
export function rigBasics(state: RigState, registry: readonly string[] = rigRegistry(state)): string[] {
  return [
    ...registry,
    "builder:",
    "  multiarch: false",
    "  args:",
    '    VERSION: <%= ENV["VERSION"] %>',
    '    BROKEN: <%= ENV["BROKEN"] %>',
    "ssh:",
    "  keys:",
    `    - ${state.sshKey}`,
  ];
}

function rigRegistry(state: RigState): string[] {
  return ["registry:", `  server: ${state.registry.server}`, `  username: ${state.registry.username}`, "  password:", "    - MRSK_REGISTRY_PASSWORD"];
}

/** Config for the sample app on every rig host (or `hosts`), Traefik driver, secrets from .env. */
export function sampleConfig(state: RigState, service: string, options: { hosts?: readonly string[]; extra?: string } = {}): string {
  const hosts = options.hosts ?? state.hosts.map((h) => h.address);
  return [
    `service: ${service}`,
    "image: mrsk-e2e/sample",
    "servers:",
    ...hosts.map((h) => `  - ${h}`),
    ...rigBasics(state),
    "env:",
    "  clear:",
    "    GREETING: hello",
    "  secret:",
    "    - APP_SECRET",
    "traefik:",
    "  args:",
    // The rig's Traefik is a stand-in that routes nothing; no need to wait for its provider.
    "    providers.providersThrottleDuration: 0s",
    "readiness_delay: 1",
    options.extra ?? "",
  ].join("\n");
}

/** Config for the sample app behind the Caddy driver (`proxy:`), with the rig's offline Caddy image. */
export function proxyConfig(state: RigState, service: string, options: { host?: string; ssl?: boolean; extra?: string; image?: string } = {}): string {
  return [
    `service: ${service}`,
    `image: ${options.image ?? "mrsk-e2e/sample"}`,
    "servers:",
    ...state.hosts.map((h) => `  - ${h.address}`),
    ...rigBasics(state),
    "env:",
    "  secret:",
    "    - APP_SECRET",
    "proxy:",
    "  app_port: 3000",
    ...(options.host === undefined ? [] : [`  host: ${options.host}`]),
    ...(options.ssl === true ? ["  ssl: true"] : []),
    "  run:",
    `    image: ${state.images.caddy}`,
    // Caddy's own CA stands in for Let's Encrypt, which the rig cannot reach.
    "    tls_issuer: internal",
    "deploy_timeout: 10",
    options.extra ?? "",
  ].join("\n");
}

export function createProject(state: RigState, service: string, options: { registryPassword?: string } = {}): Project {
  const dir = mkdtempSync(path.join(tmpdir(), `mrsk-e2e-${service}-`));
  const home = mkdtempSync(path.join(tmpdir(), `mrsk-e2e-home-`));
  cpSync(path.join(REPO_ROOT, "examples/sample-app"), dir, { recursive: true });
  mkdirSync(path.join(dir, "config"), { recursive: true });
  mkdirSync(path.join(home, ".ssh"), { recursive: true });
  cpSync(state.knownHosts, path.join(home, ".ssh/known_hosts"));
  writeFileSync(path.join(dir, ".env"), `MRSK_REGISTRY_PASSWORD=${options.registryPassword ?? state.registry.password}\nAPP_SECRET=${APP_SECRET}\n`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    USER: "e2e",
    DOCKER_HOST: state.deployerDockerHost,
    DOCKER_CONFIG: state.deployerDockerConfig,
    MRSK_SSH_HOST_KEY_POLICY: "strict",
  };

  const project: Project = {
    dir,
    home,
    service,
    env,
    async mrsk(args, extraEnv = {}) {
      const result = await execa("node", [MRSK_BIN, ...args], { cwd: dir, env: { ...env, ...extraEnv }, extendEnv: false, reject: false, all: true, timeout: 180_000 });
      return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr, output: result.all ?? "" };
    },
    spawn(args, extraEnv = {}) {
      return execa("node", [MRSK_BIN, ...args], { cwd: dir, env: { ...env, ...extraEnv }, extendEnv: false, reject: false, all: true });
    },
    writeConfig(yaml, file = "config/deploy.yml") {
      writeFileSync(path.join(dir, file), yaml);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    },
  };
  return project;
}

/** Names and states of the service's containers on rig host `index`, e.g. { "app-web-v1": "running" }. */
export async function containersOn(index: number, service: string): Promise<Record<string, string>> {
  const result = await onHost(index, `docker ps --all --filter label=service=${service} --format '{{.Names}} {{.State}}'`);
  return Object.fromEntries(
    result.stdout
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split(" ") as [string, string]),
  );
}

/** What `/version` of the service's running web container answers on host `index` (asked from the host). */
export async function versionOn(index: number, service: string): Promise<string> {
  const script = [
    `name=$(docker ps --filter label=service=${service} --filter label=role=web --filter status=running --format '{{.Names}}')`,
    '[ "$(echo "$name" | wc -w)" = 1 ] || { echo "running: $name"; exit 0; }',
    `ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")`,
    'curl -fsS --max-time 5 "http://$ip:3000/version"',
  ].join("; ");
  const result = await onHost(index, script);
  return (result.stdout + result.stderr).trim();
}

/** The rig's state for a failure report: containers per host. */
export async function describeRig(state: RigState): Promise<string> {
  const parts = await Promise.all(
    state.hosts.map(async (h, i) => {
      const ps = await onHost(i + 1, "docker ps --all --format '{{.Names}}\t{{.Status}}\t{{.Image}}'; ls -la .mrsk 2>/dev/null");
      return `--- ${h.name} (${h.address})\n${ps.stdout}${ps.stderr}`;
    }),
  );
  return parts.join("\n");
}

/**
 * Removes every container, the proxy network and volumes, and every file mrsk wrote, from all rig
 * hosts: test files that hold ports 80/443 (Traefik, the Caddy proxy) start from clean hosts.
 */
export async function resetHosts(state: RigState): Promise<void> {
  await Promise.all(
    state.hosts.map((_, i) =>
      onHost(i + 1, "docker ps -aq | xargs -r docker rm -f >/dev/null; docker network rm mrsk >/dev/null 2>&1; docker volume prune -f >/dev/null; rm -rf .mrsk *-*/"),
    ),
  );
}

/** The `mrsk` runs of a test file: the last one is kept, and a failing test prints it with the rig's state. */
export class MrskRuns {
  last: MrskRun | undefined;

  constructor(
    private readonly project: () => Project,
    private readonly rig: () => RigState,
  ) {}

  readonly mrsk = async (args: readonly string[], env: Record<string, string> = {}): Promise<MrskRun> => {
    this.last = await this.project().mrsk(args, env);
    return this.last;
  };

  /** Called at the start of a test; `before` runs first when it fails (e.g. undoing an injected fault). */
  readonly reportOnFailure = (before?: () => Promise<unknown>): void => {
    onTestFailed(async () => {
      await before?.();
      console.error(`mrsk output:\n${this.last?.output ?? "(none)"}\n\nrig state:\n${await describeRig(this.rig())}`);
    });
  };
}
