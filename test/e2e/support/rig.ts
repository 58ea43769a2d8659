// Test hosts for end-to-end tests: a thin wrapper over tools/rig/rig (see tools/rig/README.md).
// The rig needs root and the apt packages .ci/run installs; its state lives in one state dir.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const RIG_SCRIPT = path.join(REPO_ROOT, "tools/rig/rig");
export const DEFAULT_STATE_DIR = process.env.MRSK_RIG_STATE ?? "/tmp/mrsk-rig";

export interface RigHost {
  name: string;
  address: string;
  sshPort: number;
  netns: string;
}

/** The parsed `<state>/rig.json`. */
export interface RigState {
  stateDir: string;
  hosts: RigHost[];
  sshUser: string;
  sshKey: string;
  knownHosts: string;
  bridge: { name: string; address: string; subnet: string };
  registry: { server: string; username: string; password: string };
  deployerDockerHost: string;
  deployerDockerConfig: string;
  /** Debian's docker-buildx binary, linked into `deployerDockerConfig`/cli-plugins. */
  buildxPlugin: string;
  sampleAppDir: string;
  images: {
    busyboxBase: string;
    busybox: string;
    sampleAppRepository: string;
    sampleApp: string;
    sampleAppV2: string;
    sampleAppBroken: string;
    caddy: string;
    counter: string;
    traefikStandIn: string;
    traefikStandInInRegistry: string;
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RigOptions {
  stateDir?: string;
}

let current: RigState | undefined;

/** Brings the rig up with `hosts` hosts (idempotent: an existing rig is grown or shrunk). */
export async function rigUp({ hosts = 2, stateDir = DEFAULT_STATE_DIR }: RigOptions & { hosts?: number } = {}): Promise<RigState> {
  await runRig(["up", "--hosts", String(hosts), "--state", stateDir], 240_000);
  current = await readRigState(stateDir);
  return current;
}

/** Removes every host, daemon, namespace and rule of the rig; keeps the image cache. */
export async function rigDown({ stateDir = DEFAULT_STATE_DIR }: RigOptions = {}): Promise<void> {
  await runRig(["down", "--state", stateDir], 120_000);
  current = undefined;
}

export async function readRigState(stateDir = DEFAULT_STATE_DIR): Promise<RigState> {
  return JSON.parse(await readFile(path.join(stateDir, "rig.json"), "utf8")) as RigState;
}

/** The state of the last rigUp, or the rig.json of the default state dir. */
export async function rigState(): Promise<RigState> {
  current ??= await readRigState();
  return current;
}

/** Host `index` (1-based, as in h1, h2…) of the current rig. */
export async function rigHost(index: number): Promise<RigHost> {
  const state = await rigState();
  const host = state.hosts[index - 1];
  if (host === undefined) throw new Error(`the rig has no host h${index} (it has ${state.hosts.length})`);
  return host;
}

/** Quotes one argument for a POSIX shell. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** OpenSSH client arguments reaching `host` with the rig key, verifying its host key, ignoring ~/.ssh/config. */
export function sshArgs(state: RigState, host: RigHost): string[] {
  return [
    "-F", "/dev/null",
    "-i", state.sshKey,
    "-o", "IdentitiesOnly=yes",
    "-o", `UserKnownHostsFile=${state.knownHosts}`,
    "-o", "StrictHostKeyChecking=yes",
    "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=10",
    "-o", "LogLevel=ERROR",
    "-p", String(host.sshPort),
    `${state.sshUser}@${host.address}`,
  ];
}

/**
 * Runs `command` on host `index` over ssh (argv arrays are quoted; a string is a shell line).
 * Resolves with the exit code and output; never rejects on a non-zero exit.
 */
export async function onHost(index: number, command: string | readonly string[], { timeoutMs = 60_000 } = {}): Promise<CommandResult> {
  const state = await rigState();
  const host = await rigHost(index);
  const line = typeof command === "string" ? command : command.map(shellQuote).join(" ");
  return run("ssh", [...sshArgs(state, host), line], timeoutMs);
}

/** Runs `argv` inside host `index`'s namespaces without ssh (`rig exec`). */
export async function inHost(index: number, argv: readonly string[], { timeoutMs = 60_000 } = {}): Promise<CommandResult> {
  const state = await rigState();
  return run(RIG_SCRIPT, ["exec", "--state", state.stateDir, String(index), ...argv], timeoutMs);
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One plain HTTP GET to `address` (a host, optionally `:port`), without keep-alive. */
export function httpGet(address: string, urlPath: string, { host, port = 80, timeoutMs = 10_000 }: { host?: string; port?: number; timeoutMs?: number } = {}): Promise<HttpResponse> {
  const [hostname, explicitPort] = address.split(":");
  return new Promise((resolve, reject) => {
    const request = http.get(
      {
        hostname,
        port: explicitPort === undefined ? port : Number(explicitPort),
        path: urlPath,
        agent: false,
        headers: host === undefined ? {} : { host },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`GET http://${address}${urlPath} timed out after ${timeoutMs} ms`)));
    request.on("error", reject);
  });
}

async function runRig(args: string[], timeoutMs: number): Promise<void> {
  const result = await run(RIG_SCRIPT, args, timeoutMs);
  if (result.code !== 0) {
    throw new Error(`tools/rig/rig ${args.join(" ")} failed with exit code ${result.code}:\n${tail(result.stderr)}`);
  }
}

function run(file: string, args: readonly string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 255;
      resolve({ code, stdout, stderr: error !== null && error.killed ? `${stderr}\n(killed after ${timeoutMs} ms)` : stderr });
    });
  });
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
