import { ConfigError, type ConfigIssue } from "../errors.js";
import { accessoryHostPaths, hasParentSegment, publishArg, splitMount, volumeSource, type Accessory, type AccessoryDirectory, type AccessoryFile } from "./accessory.js";
import { mergeEnv, readEnv, type EnvSpec, type SecretRef } from "./env.js";
import { readHostEntries, unique, type HostEntry } from "./hosts.js";
import { isMapping } from "./merge.js";
import { Role, type HealthcheckSettings } from "./role.js";
import { secretReferences, type SecretReference } from "./secret-references.js";
import type { Secrets } from "./secrets.js";
import type { Era } from "./schema.js";

// The typed configuration: every derived name (container names, image references, remote paths,
// labels) is computed here once. Built from the merged, shape-validated document; semantic checks
// that need the whole picture (roles with hosts, secrets present, destinations) run here too.

type Doc = Record<string, unknown>;

/** The Kamal/MRSK config version this release reads; `minimum_version` is compared with it. */
export const COMPATIBLE_CONFIG_VERSION = "2.12.0";

export const MRSK_DEFAULTS = {
  retainContainers: 5,
  readinessDelay: 7,
  deployTimeout: 30,
  drainTimeout: 30,
  logMaxSize: "10m",
  traefikImage: "traefik:v2.9",
  traefikHostPort: 80,
  healthcheck: { path: "/up", port: 3000, maxAttempts: 7, interval: "1s", logLines: 30 },
  proxyAppPort: 80,
  runDirectory: ".mrsk",
  lockTtl: 300,
} as const;

export type ProxyDriver = "traefik" | "caddy";

export interface RegistrySettings {
  server: string | undefined;
  username: string | undefined;
  password: string | undefined;
  /** `localhost:PORT`: a registry on the deploying machine, reached by hosts through an SSH tunnel. */
  local: boolean;
}

export interface SshConfigSettings {
  /** `ssh.user`; unset: the OpenSSH config's `User` for the host, else root. */
  user: string | undefined;
  /** `ssh.port`; unset: the OpenSSH config's `Port` for the host, else 22. */
  port: number | undefined;
  proxy: string | undefined;
  proxyCommand: string | undefined;
  keys: string[];
  keyData: string[];
  /** `ssh.keys_only`; unset: the OpenSSH config's `IdentitiesOnly`. */
  keysOnly: boolean | undefined;
  /** `ssh.config`: true reads ~/.ssh/config and /etc/ssh/ssh_config, false none, or these paths. */
  config: boolean | string[];
  logLevel: string | undefined;
  maxConcurrentStarts: number;
}

export interface BuilderSettings {
  multiarch: boolean;
  arch: string[];
  remote: string | undefined;
  remoteArch: string | undefined;
  localArch: string | undefined;
  /** `local: false` (Kamal 2): build only on `remote`. */
  localDisabled: boolean;
  driver: string | undefined;
  args: Readonly<Record<string, string>>;
  secrets: string[];
  dockerfile: string;
  context: string;
  target: string | undefined;
  ssh: string | undefined;
  cache: { type: string; image: string | undefined; options: string | undefined } | undefined;
}

export interface TraefikSettings {
  image: string;
  hostPort: number;
  args: Readonly<Record<string, unknown>>;
  labels: Readonly<Record<string, string>>;
  env: EnvSpec;
  options: Readonly<Record<string, unknown>>;
}

export interface BootSettings {
  limit: number | string | undefined;
  wait: number | undefined;
}

export interface LoadContext {
  era: Era;
  destination: string | undefined;
  secrets: Secrets;
  fileOf: (path: string) => string;
  /** Resolves the app version when it is first needed. */
  version: () => string;
  /** Where the configuration was read from, for messages. */
  files: readonly string[];
  toolVersion: string;
}

export class Config {
  readonly service: string;
  readonly image: string;
  readonly destination: string | undefined;
  readonly era: Era;
  readonly proxyDriver: ProxyDriver;
  readonly registry: RegistrySettings;
  readonly roles: readonly Role[];
  readonly primaryRole: Role;
  readonly accessories: readonly Accessory[];
  readonly ssh: SshConfigSettings;
  readonly builder: BuilderSettings;
  readonly traefik: TraefikSettings;
  readonly proxy: Readonly<Record<string, unknown>>;
  readonly boot: BootSettings;
  /** Seconds a deploy lock lives without a heartbeat before the next deploy may take it over (`lock.ttl`). */
  readonly lockTtl: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly volumes: readonly string[];
  readonly logging: { driver: string | undefined; options: Readonly<Record<string, string>> };
  readonly retainContainers: number;
  readonly readinessDelay: number;
  readonly stopWaitTime: number | undefined;
  readonly deployTimeout: number;
  readonly drainTimeout: number;
  readonly hooksPath: string;
  readonly releaseCommand: string | undefined;
  readonly aliases: Readonly<Record<string, string>>;
  readonly env: EnvSpec;
  readonly secrets: Secrets;
  /** Every place the configuration names a secret (the loader reads them all, for masking). */
  readonly secretReferences: readonly SecretReference[];
  readonly files: readonly string[];
  /** The merged document, for `mrsk config`. */
  readonly raw: Readonly<Doc>;
  private readonly resolveVersion: () => string;
  private cachedVersion: string | undefined;

  private constructor(doc: Doc, ctx: LoadContext, parts: Parts) {
    this.raw = doc;
    this.service = str(doc.service) ?? "";
    this.destination = ctx.destination;
    this.era = ctx.era;
    this.proxyDriver = parts.proxyDriver;
    this.registry = parts.registry;
    this.image = str(doc.image) ?? (this.registry.local ? this.service : "");
    this.roles = parts.roles;
    this.primaryRole = parts.primaryRole;
    this.accessories = parts.accessories;
    this.ssh = parts.ssh;
    this.builder = readBuilder(doc.builder);
    this.traefik = readTraefik(doc.traefik);
    this.proxy = isMapping(doc.proxy) ? doc.proxy : {};
    this.boot = isMapping(doc.boot) ? { limit: doc.boot.limit as number | string | undefined, wait: num(doc.boot.wait) } : { limit: undefined, wait: undefined };
    this.lockTtl = (isMapping(doc.lock) ? num(doc.lock.ttl) : undefined) ?? MRSK_DEFAULTS.lockTtl;
    this.labels = strRecord(doc.labels);
    this.volumes = strList(doc.volumes);
    this.logging = readLogging(doc.logging);
    this.retainContainers = num(doc.retain_containers) ?? MRSK_DEFAULTS.retainContainers;
    this.readinessDelay = num(doc.readiness_delay) ?? MRSK_DEFAULTS.readinessDelay;
    this.stopWaitTime = num(doc.stop_wait_time) ?? num(doc.stop_timeout);
    this.deployTimeout = num(doc.deploy_timeout) ?? MRSK_DEFAULTS.deployTimeout;
    this.drainTimeout = num(doc.drain_timeout) ?? MRSK_DEFAULTS.drainTimeout;
    this.hooksPath = str(doc.hooks_path) ?? (ctx.era === "kamal" ? ".kamal/hooks" : ".mrsk/hooks");
    this.releaseCommand = str(doc.release_command);
    this.aliases = strRecord(doc.aliases);
    this.env = parts.rootEnv;
    this.secrets = ctx.secrets;
    this.secretReferences = secretReferences(doc);
    this.files = ctx.files;
    this.resolveVersion = ctx.version;
  }

  /** Builds the model, or throws a ConfigError listing every semantic problem found. */
  static build(doc: Doc, ctx: LoadContext): Config {
    const issues: ConfigIssue[] = [];
    const report = (path: string, message: string, hint?: string): void => {
      issues.push({ file: ctx.fileOf(path), path, message, ...(hint === undefined ? {} : { hint }) });
    };
    const parts = readParts(doc, ctx, report);
    if (issues.length > 0 || parts === undefined) throw new ConfigError(issues);
    return new Config(doc, ctx, parts);
  }

  // --- version and image ---

  get version(): string {
    this.cachedVersion ??= this.resolveVersion();
    return this.cachedVersion;
  }

  /** `[registry.server/]image`, joined as Kamal joins it (an image that already names the server gets it twice). */
  get repository(): string {
    return this.registry.server === undefined ? this.image : `${this.registry.server}/${this.image}`;
  }

  imageRef(version: string = this.version): string {
    return `${this.repository}:${version}`;
  }

  /** The tag of the last fully booted version; per destination so destinations do not share it. */
  get latestImage(): string {
    return `${this.repository}:${this.destination === undefined ? "latest" : `latest-${this.destination}`}`;
  }

  /** `<service>[-<dest>]`: names the app's lock, audit log and remote directory. */
  get serviceWithDestination(): string {
    return this.destination === undefined ? this.service : `${this.service}-${this.destination}`;
  }

  // --- hosts ---

  get primaryHost(): string {
    return this.primaryRole.hosts[0]!;
  }

  /** Every host that runs a role, primary role's hosts first. */
  get appHosts(): string[] {
    return unique([...this.primaryRole.hosts, ...this.roles.flatMap((r) => r.hosts)]);
  }

  /** Every host the service touches: app hosts, then accessory-only hosts. */
  get allHosts(): string[] {
    return unique([...this.appHosts, ...this.accessories.flatMap((a) => a.hosts)]);
  }

  /** Every host the configuration names (with the SSH jump host): shown as itself in output. */
  get namedHosts(): string[] {
    const jump = this.ssh.proxy?.replace(/^[^@]*@/, "");
    return unique([...this.allHosts, ...(jump === undefined ? [] : [jump])]);
  }

  role(name: string): Role | undefined {
    return this.roles.find((r) => r.name === name);
  }

  rolesOn(host: string): Role[] {
    return this.roles.filter((r) => r.hosts.includes(host));
  }

  accessory(name: string): Accessory | undefined {
    return this.accessories.find((a) => a.name === name);
  }

  get proxiedRoles(): Role[] {
    return this.roles.filter((r) => r.proxied);
  }

  /** Hosts that run the proxy (Traefik or Caddy): those of proxied roles. */
  get proxyHosts(): string[] {
    return unique(this.proxiedRoles.flatMap((r) => r.hosts));
  }

  // --- remote layout, relative to the SSH user's home ---

  get runDirectory(): string {
    return MRSK_DEFAULTS.runDirectory;
  }

  get appDirectory(): string {
    return `${this.runDirectory}/${this.serviceWithDestination}`;
  }

  roleEnvFile(role: Role): string {
    return `${this.appDirectory}/env/roles/${role.name}.env`;
  }

  accessoryEnvFile(accessory: Accessory): string {
    return `${this.appDirectory}/env/accessories/${accessory.name}.env`;
  }

  get auditLog(): string {
    return `${this.appDirectory}/audit.log`;
  }

  get lockDirectory(): string {
    return `${this.runDirectory}/lock-${this.serviceWithDestination}`;
  }

  // --- secrets ---

  /** The value of each secret variable of `env` (names were checked at load). */
  secretValues(env: EnvSpec): Array<[string, string]> {
    return env.secrets.map((ref) => [ref.name, this.secrets.get(ref.secret) ?? ""]);
  }
}

interface Parts {
  proxyDriver: ProxyDriver;
  registry: RegistrySettings;
  roles: Role[];
  primaryRole: Role;
  accessories: Accessory[];
  ssh: SshConfigSettings;
  rootEnv: EnvSpec;
}

type Report = (path: string, message: string, hint?: string) => void;

function readParts(doc: Doc, ctx: LoadContext, report: Report): Parts | undefined {
  checkDestination(doc, ctx, report);
  checkMinimumVersion(doc, ctx, report);
  checkHostPaths(strList(doc.volumes).map((v, i) => ({ path: volumeSource(v), key: `volumes[${i}]` })), report);

  const proxyDriver = detectProxyDriver(doc, ctx.era);
  const rootEnvRaw = isMapping(doc.env) ? doc.env : undefined;
  const rootEnv = readEnv(rootEnvRaw);
  const tagEnvs = readTagEnvs(rootEnvRaw);
  const service = str(doc.service) ?? "";
  const naming = { service, destination: ctx.destination, tagEnv: (tag: string) => tagEnvs.get(tag) };
  const primaryRoleName = str(doc.primary_role) ?? "web";
  const allowEmptyRoles = doc.allow_empty_roles === true;
  const topHealthcheck = isMapping(doc.healthcheck) ? doc.healthcheck : undefined;

  const roles = readRoleDocs(doc.servers).map(({ name, hostEntries, raw }) => {
    const roleProxy = raw?.proxy;
    const proxied =
      proxyDriver === "traefik"
        ? raw?.traefik === undefined
          ? name === primaryRoleName
          : raw.traefik === true
        : roleProxy === undefined
          ? name === primaryRoleName
          : roleProxy !== false;
    const roleHealthcheck = isMapping(raw?.healthcheck) ? raw.healthcheck : undefined;
    const healthcheck =
      proxyDriver === "traefik" && (proxied || roleHealthcheck !== undefined)
        ? readHealthcheck({ ...topHealthcheck, ...roleHealthcheck })
        : roleHealthcheck === undefined
          ? undefined
          : readHealthcheck(roleHealthcheck);
    return new Role(
      {
        name,
        hostEntries,
        cmd: str(raw?.cmd),
        env: raw?.env === undefined ? rootEnv : mergeEnv(rootEnv, readEnv(raw.env)),
        labels: { ...strRecord(doc.labels), ...strRecord(raw?.labels) },
        options: isMapping(raw?.options) ? raw.options : {},
        logging: mergeLogging(readLogging(doc.logging), readLogging(raw?.logging)),
        proxied,
        healthcheck,
        proxy: isMapping(roleProxy) ? roleProxy : undefined,
        stopTimeout: num(raw?.stop_timeout),
        assetPath: str(raw?.asset_path) ?? str(doc.asset_path),
      },
      naming,
    );
  });

  const primaryRole = roles.find((r) => r.name === primaryRoleName);
  if (roles.length === 0) {
    report("servers", "no servers are configured", "list the hosts to deploy to under `servers:`");
  } else if (primaryRole === undefined) {
    report(
      "servers",
      `there is no role named "${primaryRoleName}", the primary role`,
      `set primary_role to one of: ${roles.map((r) => r.name).join(", ")}`,
    );
  }
  for (const role of roles) {
    if (role.hosts.length > 0) continue;
    if (role === primaryRole) report(`servers.${role.name}`, `the primary role "${role.name}" has no hosts`, "list its hosts; the primary role cannot be empty");
    else if (!allowEmptyRoles)
      report(`servers.${role.name}`, `role "${role.name}" has no hosts`, "list its hosts, or set allow_empty_roles: true to deploy without it");
  }

  const registry = readRegistry(doc.registry, ctx, report);
  const accessories = readAccessories(doc, roles, ctx, report);
  const ssh = readSsh(doc, ctx, report);

  checkSecrets("env", rootEnv, ctx, report);
  for (const [tag, env] of tagEnvs) checkSecrets(`env.tags.${tag}`, env, ctx, report);
  if (isMapping(doc.servers)) {
    for (const [name, raw] of Object.entries(doc.servers)) {
      if (isMapping(raw) && raw.env !== undefined) checkSecrets(`servers.${name}.env`, readEnv(raw.env), ctx, report);
    }
  }
  for (const accessory of accessories) checkSecrets(`accessories.${accessory.name}.env`, accessory.env, ctx, report);

  if (primaryRole === undefined) return undefined;
  return { proxyDriver, registry, roles, primaryRole, accessories, ssh, rootEnv };
}

function detectProxyDriver(doc: Doc, era: Era): ProxyDriver {
  if (doc.traefik !== undefined) return "traefik";
  if (doc.proxy !== undefined) return "caddy";
  return era === "kamal" ? "caddy" : "traefik";
}

interface RoleDoc {
  name: string;
  hostEntries: HostEntry[];
  raw: Doc | undefined;
}

/** `servers:` as a list of hosts (role web) or a mapping of roles to host lists or role mappings. */
function readRoleDocs(servers: unknown): RoleDoc[] {
  if (servers === undefined || servers === null) return [];
  if (!isMapping(servers)) return [{ name: "web", hostEntries: readHostEntries(servers), raw: undefined }];
  return Object.entries(servers).map(([name, value]) =>
    isMapping(value)
      ? { name, hostEntries: readHostEntries(value.hosts), raw: value }
      : { name, hostEntries: readHostEntries(value), raw: undefined },
  );
}

function readTagEnvs(env: Doc | undefined): Map<string, EnvSpec> {
  const tags = new Map<string, EnvSpec>();
  if (env !== undefined && isMapping(env.tags)) {
    for (const [tag, value] of Object.entries(env.tags)) tags.set(tag, readEnv(value));
  }
  return tags;
}

function readHealthcheck(raw: Doc): HealthcheckSettings {
  const d = MRSK_DEFAULTS.healthcheck;
  return {
    path: str(raw.path) ?? d.path,
    port: num(raw.port) ?? d.port,
    maxAttempts: num(raw.max_attempts) ?? d.maxAttempts,
    interval: str(raw.interval) ?? d.interval,
    cmd: str(raw.cmd),
    logLines: num(raw.log_lines) ?? d.logLines,
  };
}

function readRegistry(raw: unknown, ctx: LoadContext, report: Report): RegistrySettings {
  const registry = isMapping(raw) ? raw : {};
  const server = str(registry.server);
  const local = server !== undefined && /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(server);
  const credential = (key: "username" | "password"): string | undefined => secretOrLiteral(registry[key], `registry.${key}`, ctx, report);
  return { server, username: credential("username"), password: credential("password"), local };
}

function readSsh(doc: Doc, ctx: LoadContext, report: Report): SshConfigSettings {
  const ssh = isMapping(doc.ssh) ? doc.ssh : {};
  const sshkit = isMapping(doc.sshkit) ? doc.sshkit : {};
  const proxy = str(ssh.proxy);
  const keyData = strList(ssh.key_data).map((name) => {
    const value = ctx.secrets.get(name);
    if (value === undefined) reportMissingSecret("ssh.key_data", name, ctx, report);
    return value ?? "";
  });
  return {
    user: str(ssh.user),
    port: num(ssh.port),
    // A jump host without a user is reached as root, as MRSK does.
    proxy: proxy === undefined ? undefined : proxy.includes("@") ? proxy : `root@${proxy}`,
    proxyCommand: str(ssh.proxy_command),
    keys: strList(ssh.keys),
    keyData,
    keysOnly: typeof ssh.keys_only === "boolean" ? ssh.keys_only : undefined,
    config: typeof ssh.config === "boolean" ? ssh.config : ssh.config === undefined ? true : strList(ssh.config),
    logLevel: str(ssh.log_level),
    maxConcurrentStarts: num(sshkit.max_concurrent_starts) ?? 30,
  };
}

function readBuilder(raw: unknown): BuilderSettings {
  const b = isMapping(raw) ? raw : {};
  const remote = b.remote;
  const local = isMapping(b.local) ? b.local : undefined;
  const cache = isMapping(b.cache) ? b.cache : undefined;
  return {
    multiarch: b.multiarch !== false,
    arch: strList(b.arch),
    remote: isMapping(remote) ? str(remote.host) : str(remote),
    remoteArch: isMapping(remote) ? str(remote.arch) : undefined,
    localArch: local === undefined ? undefined : str(local.arch),
    localDisabled: b.local === false,
    driver: str(b.driver),
    args: strRecord(b.args),
    secrets: strList(b.secrets),
    dockerfile: str(b.dockerfile) ?? "Dockerfile",
    context: str(b.context) ?? ".",
    target: str(b.target),
    ssh: str(b.ssh),
    cache:
      cache === undefined ? undefined : { type: str(cache.type) ?? "registry", image: str(cache.image), options: str(cache.options) },
  };
}

function readTraefik(raw: unknown): TraefikSettings {
  const t = isMapping(raw) ? raw : {};
  return {
    image: str(t.image) ?? MRSK_DEFAULTS.traefikImage,
    hostPort: num(t.host_port) ?? MRSK_DEFAULTS.traefikHostPort,
    args: isMapping(t.args) ? t.args : {},
    labels: strRecord(t.labels),
    env: readEnv(t.env),
    options: isMapping(t.options) ? t.options : {},
  };
}

function readLogging(raw: unknown): { driver: string | undefined; options: Record<string, string> } {
  const l = isMapping(raw) ? raw : {};
  return { driver: str(l.driver), options: strRecord(l.options) };
}

function mergeLogging(
  base: { driver: string | undefined; options: Readonly<Record<string, string>> },
  over: { driver: string | undefined; options: Readonly<Record<string, string>> },
): { driver: string | undefined; options: Record<string, string> } {
  return { driver: over.driver ?? base.driver, options: { ...base.options, ...over.options } };
}

function readAccessories(doc: Doc, roles: Role[], ctx: LoadContext, report: Report): Accessory[] {
  if (!isMapping(doc.accessories)) return [];
  const service = str(doc.service) ?? "";
  const out: Accessory[] = [];
  for (const [name, value] of Object.entries(doc.accessories)) {
    if (!isMapping(value)) continue;
    const path = `accessories.${name}`;
    const hosts = accessoryHosts(value, roles, path, report);
    const registry = isMapping(value.registry) ? value.registry : undefined;
    out.push({
      name,
      service: str(value.service) ?? `${service}-${name}`,
      image: str(value.image) ?? "",
      hosts,
      port: value.port === undefined || value.port === null ? undefined : publishArg(String(value.port)),
      cmd: str(value.cmd),
      env: readEnv(value.env),
      labels: strRecord(value.labels),
      options: isMapping(value.options) ? value.options : {},
      volumes: strList(value.volumes),
      files: list(value.files).map(readAccessoryFile),
      directories: list(value.directories).map(readAccessoryDirectory),
      network: str(value.network),
      registry:
        registry === undefined
          ? undefined
          : {
              server: str(registry.server),
              username: secretOrLiteral(registry.username, `${path}.registry.username`, ctx, report),
              password: secretOrLiteral(registry.password, `${path}.registry.password`, ctx, report),
            },
      proxy: isMapping(value.proxy) ? value.proxy : undefined,
    });
    checkHostPaths(accessoryHostPaths(out.at(-1)!, path), report);
  }
  return out;
}

function checkHostPaths(paths: ReadonlyArray<{ path: string; key: string }>, report: Report): void {
  for (const { path, key } of paths) {
    if (hasParentSegment(path)) report(key, `the host path ${JSON.stringify(path)} has a ".." segment`, "write a path without .., relative (inside the accessory's directory) or absolute");
  }
}

function accessoryHosts(raw: Doc, roles: Role[], path: string, report: Report): string[] {
  const direct = [...readHostEntries(raw.host), ...readHostEntries(raw.hosts)].map((h) => h.host);
  const roleNames = [...strList(raw.role), ...strList(raw.roles)];
  const tags = [...strList(raw.tag), ...strList(raw.tags)];
  const hosts: string[] = [...direct];
  for (const name of roleNames) {
    const role = roles.find((r) => r.name === name);
    if (role === undefined) report(`${path}.roles`, `no role named "${name}"`, `roles are: ${roles.map((r) => r.name).join(", ")}`);
    else hosts.push(...role.hosts);
  }
  for (const tag of tags) {
    const tagged = roles.flatMap((r) => r.hosts.filter((h) => r.tagsOf(h).includes(tag)));
    if (tagged.length === 0) report(`${path}.tags`, `no host carries the tag "${tag}"`, "tag hosts under servers: as `- host: tag`");
    hosts.push(...tagged);
  }
  if (hosts.length === 0 && roleNames.length === 0 && tags.length === 0) {
    report(path, "names no host", "give exactly one of host, hosts, role, roles, tag or tags");
  }
  return unique(hosts);
}

function readAccessoryFile(raw: unknown): AccessoryFile {
  if (isMapping(raw)) {
    return { local: str(raw.local) ?? "", remote: str(raw.remote) ?? "", mode: str(raw.mode), owner: str(raw.owner), options: str(raw.options) };
  }
  const { local, remote, options } = splitMount(String(raw));
  return { local, remote, mode: undefined, owner: undefined, options };
}

function readAccessoryDirectory(raw: unknown): AccessoryDirectory {
  if (isMapping(raw)) {
    return { host: str(raw.local) ?? "", remote: str(raw.remote) ?? "", mode: str(raw.mode), owner: str(raw.owner), options: str(raw.options) };
  }
  const { local, remote, options } = splitMount(String(raw));
  return { host: local, remote, mode: undefined, owner: undefined, options };
}

function secretOrLiteral(value: unknown, path: string, ctx: LoadContext, report: Report): string | undefined {
  if (!Array.isArray(value)) return str(value);
  // Anything but one secret name (`[]`, `[A, B]`, `[{…}]`) was reported by the shape check.
  const [name] = value;
  if (value.length !== 1 || typeof name !== "string") return undefined;
  const secret = ctx.secrets.get(name);
  if (secret === undefined) reportMissingSecret(path, name, ctx, report);
  return secret;
}

function checkSecrets(path: string, env: EnvSpec, ctx: LoadContext, report: Report): void {
  env.secrets.forEach((ref: SecretRef, i) => {
    if (!ctx.secrets.has(ref.secret)) reportMissingSecret(`${path}.secret[${i}]`, ref.secret, ctx, report);
  });
}

function reportMissingSecret(path: string, name: string, ctx: LoadContext, report: Report): void {
  report(path, `secret ${name} is not set; searched ${ctx.secrets.describeSearched()}`, `add ${name}=… to one of them`);
}

function checkDestination(doc: Doc, ctx: LoadContext, report: Report): void {
  if (doc.require_destination === true && ctx.destination === undefined) {
    report("require_destination", "this configuration must be used with a destination", "pass -d DESTINATION (e.g. -d production)");
  }
}

function checkMinimumVersion(doc: Doc, ctx: LoadContext, report: Report): void {
  const minimum = str(doc.minimum_version);
  if (minimum !== undefined && compareVersions(COMPATIBLE_CONFIG_VERSION, minimum) < 0) {
    report(
      "minimum_version",
      `requires version ${minimum}; mrsk ${ctx.toolVersion} reads configurations up to Kamal ${COMPATIBLE_CONFIG_VERSION}`,
      "upgrade mrsk or lower minimum_version",
    );
  }
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// --- small readers for the validated document (scalars were stringified by the schema) ---

function str(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

function num(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function strList(value: unknown): string[] {
  return list(value).map(String);
}

function strRecord(value: unknown): Record<string, string> {
  if (!isMapping(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = v === null || v === undefined ? "" : String(v);
  return out;
}
