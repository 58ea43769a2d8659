// Where and how to connect for one host: deploy.yml's `ssh:` settings first, then what the
// OpenSSH config files say for the host, then OpenSSH's defaults. Pure: no I/O.
import { homedir, userInfo } from "node:os";
import { ConnectionError } from "../errors.js";
import { splitHostAddress, type SshEndpoint } from "./host-address.js";
import { expandHomeDir, type HostConfig, type OpenSshConfig } from "./openssh-config.js";
import type { HostKeyPolicy, SshSettings } from "./types.js";

export type ResolvedRoute =
  | { readonly kind: "direct" }
  | { readonly kind: "jump"; readonly via: ResolvedHost }
  | { readonly kind: "command"; readonly template: string };

export interface ResolvedHost {
  /** The host as written (deploy.yml's name or alias, a ProxyJump hop): the name shown in output. */
  readonly label: string;
  /** What is dialled: the `HostName`, user and port after every setting applied. */
  readonly endpoint: SshEndpoint;
  readonly route: ResolvedRoute;
  /** Key files to offer, expanded; empty with `defaultKeys`: the usual ~/.ssh/id_* files. */
  readonly keys: readonly string[];
  readonly defaultKeys: boolean;
  readonly keysOnly: boolean;
  /** The agent's socket: `IdentityAgent`, else $SSH_AUTH_SOCK. */
  readonly agent: string | undefined;
  readonly knownHostsFiles: readonly string[];
  readonly hostKeyPolicy: HostKeyPolicy;
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  /** The config file entries that applied, for `ssh.log_level: debug`. */
  readonly entries: readonly string[];
  /** Identifies the connection: two hosts with the same key share one (a jump host used twice). */
  readonly key: string;
}

const DEFAULT_USER = "root";
const DEFAULT_PORT = 22;
// A ProxyJump whose hops name each other would never end.
const MAX_JUMP_DEPTH = 8;

type Settings = Omit<SshSettings, "maxConcurrentStarts" | "configFiles" | "keyData">;

/** Resolves `spec` (`[user@]host[:port]` from the host list). */
export function resolveHost(spec: string, settings: Settings, config: OpenSshConfig): ResolvedHost {
  const address = splitHostAddress(spec);
  const explicitUser = address.user ?? settings.user;
  const found = config.lookup(address.host, explicitUser);
  const user = explicitUser ?? found.user ?? DEFAULT_USER;
  const port = address.port ?? settings.port ?? configPort(found, address.host) ?? DEFAULT_PORT;
  return build(spec, address.host, user, port, found, settings, targetRoute(spec, found, settings, config));
}

function targetRoute(label: string, found: HostConfig, settings: Settings, config: OpenSshConfig): ResolvedRoute {
  // deploy.yml's proxy wins over the files', and a jump host over a proxy command (as in Kamal).
  if (settings.proxy) return { kind: "jump", via: resolveHop(settings.proxy, settings, config, undefined, 1) };
  if (settings.proxyCommand) return { kind: "command", template: settings.proxyCommand };
  return configRoute(label, found, settings, config, 0);
}

function configRoute(label: string, found: HostConfig, settings: Settings, config: OpenSshConfig, depth: number): ResolvedRoute {
  if (found.proxyJump !== undefined && found.proxyJump.toLowerCase() !== "none") {
    if (depth >= MAX_JUMP_DEPTH) {
      throw new ConnectionError(label, `ProxyJump goes through more than ${MAX_JUMP_DEPTH} jump hosts`, {
        hint: "Check the ProxyJump settings of the hosts in the OpenSSH config files: they may name each other in a loop.",
      });
    }
    return { kind: "jump", via: resolveChain(found.proxyJump, settings, config, depth + 1) };
  }
  if (found.proxyCommand !== undefined && found.proxyCommand.toLowerCase() !== "none") {
    return { kind: "command", template: found.proxyCommand };
  }
  return { kind: "direct" };
}

/** `ProxyJump a,b,c`: the target goes through c, c through b, b through a, a as its own config says. */
function resolveChain(chain: string, settings: Settings, config: OpenSshConfig, depth: number): ResolvedHost {
  let previous: ResolvedHost | undefined;
  for (const hop of chain.split(",").map((h) => h.trim()).filter((h) => h !== "")) {
    previous = resolveHop(hop, settings, config, previous, depth);
  }
  if (previous === undefined) throw new ConnectionError(chain, "ProxyJump names no host", { hint: "Write ProxyJump as [user@]host[:port], several separated by commas." });
  return previous;
}

/** A jump host, itself resolved through the config; deploy.yml's user and port are the targets', not its. */
function resolveHop(spec: string, settings: Settings, config: OpenSshConfig, through: ResolvedHost | undefined, depth: number): ResolvedHost {
  const address = splitHostAddress(spec.replace(/^ssh:\/\//, ""));
  const found = config.lookup(address.host, address.user);
  const user = address.user ?? found.user ?? DEFAULT_USER;
  const port = address.port ?? configPort(found, address.host) ?? DEFAULT_PORT;
  const route: ResolvedRoute = through ? { kind: "jump", via: through } : configRoute(spec, found, settings, config, depth);
  return build(spec, address.host, user, port, found, settings, route);
}

function build(
  label: string,
  host: string,
  user: string,
  port: number,
  found: HostConfig,
  settings: Settings,
  route: ResolvedRoute,
): ResolvedHost {
  const hostName = found.hostName === undefined ? host : expandTokens(found.hostName, { h: host }, label, "HostName");
  const endpoint: SshEndpoint = { user, host: hostName, port };
  const tokens = { h: hostName, r: user, p: String(port), n: host, u: localUser(), d: homedir() };
  const configuredKeys = settings.keys.length > 0
    ? settings.keys.map(expandHomeDir)
    : found.identityFiles.filter((f) => f.toLowerCase() !== "none").map((f) => expandHomeDir(expandTokens(f, tokens, label, "IdentityFile")));
  const keysOnly = settings.keysOnly ?? isYes(found.identitiesOnly);
  return {
    label,
    endpoint,
    route,
    keys: configuredKeys,
    defaultKeys: configuredKeys.length === 0 && !keysOnly,
    keysOnly,
    agent: identityAgent(found.identityAgent, settings.agent, tokens, label),
    knownHostsFiles: settings.knownHostsFiles ?? knownHostsFiles(found, tokens, label),
    hostKeyPolicy: settings.hostKeyPolicy ?? hostKeyPolicy(found, label),
    connectTimeoutMs: seconds(found.connectTimeout, label, "ConnectTimeout") ?? settings.connectTimeoutMs,
    keepaliveIntervalMs: seconds(found.serverAliveInterval, label, "ServerAliveInterval") ?? settings.keepaliveIntervalMs,
    entries: found.entries,
    key: `${user}@${hostName}:${port}${routeKey(route)}`,
  };
}

function routeKey(route: ResolvedRoute): string {
  switch (route.kind) {
    case "direct":
      return "";
    case "jump":
      return ` via ${route.via.key}`;
    case "command":
      return ` via command ${route.template}`;
  }
}

// `IdentityAgent none` turns the agent off; `SSH_AUTH_SOCK` (or `$SSH_AUTH_SOCK`) names the usual one.
function identityAgent(value: string | undefined, fromEnvironment: string | undefined, tokens: Record<string, string>, label: string): string | undefined {
  if (value === undefined || /^\$?\{?SSH_AUTH_SOCK\}?$/.test(value)) return fromEnvironment;
  if (value.toLowerCase() === "none") return undefined;
  return expandHomeDir(expandTokens(value, tokens, label, "IdentityAgent"));
}

function knownHostsFiles(found: HostConfig, tokens: Record<string, string>, label: string): string[] {
  const files = found.userKnownHostsFiles;
  if (files === undefined) return [expandHomeDir("~/.ssh/known_hosts")];
  if (files.length === 1 && files[0]!.toLowerCase() === "none") return [];
  return files.map((f) => expandHomeDir(expandTokens(f, tokens, label, "UserKnownHostsFile")));
}

// OpenSSH's `ask` needs a terminal per host; mrsk refuses unknown hosts instead, naming the command to record them.
function hostKeyPolicy(found: HostConfig, label: string): HostKeyPolicy {
  const value = found.strictHostKeyChecking?.toLowerCase();
  switch (value) {
    case undefined:
    case "accept-new":
      return "accept-new";
    case "yes":
    case "ask":
      return "strict";
    case "no":
    case "off":
      return "off";
  }
  throw invalidValue(label, "StrictHostKeyChecking", value, "yes, accept-new, no, off or ask");
}

function configPort(found: HostConfig, label: string): number | undefined {
  if (found.port === undefined) return undefined;
  const port = Number(found.port);
  if (!/^\d+$/.test(found.port) || port < 1 || port > 65535) throw invalidValue(label, "Port", found.port, "a port number");
  return port;
}

function seconds(value: string | undefined, label: string, directive: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw invalidValue(label, directive, value, "a number of seconds");
  return Number(value) * 1000;
}

function isYes(value: string | undefined): boolean {
  return value?.toLowerCase() === "yes";
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "";
  }
}

/** OpenSSH's `%` tokens: `%%` and the single letters in `tokens`; any other is an error, as in OpenSSH. */
export function expandTokens(text: string, tokens: Readonly<Record<string, string>>, label: string, directive: string): string {
  return text.replace(/%(.?)/g, (whole, letter: string) => {
    if (letter === "%") return "%";
    const value = tokens[letter];
    if (value === undefined) throw invalidValue(label, directive, text, `tokens among %${Object.keys(tokens).join(", %")} and %%; not ${whole}`);
    return value;
  });
}

function invalidValue(label: string, directive: string, value: string, expected: string): ConnectionError {
  return new ConnectionError(label, `the OpenSSH config sets ${directive} ${value}, expected ${expected}`, {
    hint: "Fix the entry for this host in the OpenSSH config files, or set ssh.config to read other files (false: none).",
  });
}
