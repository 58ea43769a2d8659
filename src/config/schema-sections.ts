// The zod schema of deploy.yml: every key of MRSK 0.13, Kamal 1 and Kamal 2, plus mrsk's own
// (`release_command`, `proxy` as the Caddy driver). One schema serves both eras; only the
// severity of unknown keys differs (see schema.ts).
import { z } from "zod";
import {
  accepts,
  bool,
  custom,
  describe,
  emptyAsAbsent,
  INVALID,
  inputShape,
  int,
  isPlainObject,
  keepNull,
  kindOf,
  list,
  mapOf,
  oneOf,
  optionalSection,
  type Problem,
  quote,
  section,
  str,
  strOrEmpty,
  portProblem,
  toInteger,
} from "./schema-values.js";
import { nameProblem } from "./names.js";

// ── checks on single values ───────────────────────────────────────────────────────────────

const ALIAS_NAME = /^[a-z0-9_-]+$/;
const RESTART_POLICY = /^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/;
const RESERVED_LABELS = ["service", "role", "destination"];

function checkService(name: string): Problem | undefined {
  return nameProblem(name, "the service name prefixes every container name, e.g. `service: my-app`");
}

const checkRoleName = (name: string): Problem | undefined => nameProblem(name, "the role name is part of container names, e.g. `web` or `workers`");
const checkAccessoryName = (name: string): Problem | undefined => nameProblem(name, "the accessory name is part of its container name and directory, e.g. `db`");

/**
 * Values that become a word of their own on a command line (a build context, an image, a host)
 * must not read as a flag: `builder.context: "--privileged"` would be an option to docker build.
 */
function notAFlag(check?: (text: string) => Problem | undefined): (text: string) => Problem | undefined {
  return (text) =>
    text.startsWith("-")
      ? { message: `should not start with "-", got ${quote(text)}`, hint: "a value starting with - would be read as an option of the command it is passed to" }
      : check?.(text);
}

/** The tag or digest in an image reference; a `host:port/` prefix is not a tag. */
function imageTagOrDigest(image: string): { kind: "tag" | "digest"; value: string } | undefined {
  const at = image.indexOf("@");
  if (at >= 0) return { kind: "digest", value: image.slice(at + 1) };
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  return colon >= 0 ? { kind: "tag", value: lastSegment.slice(colon + 1) } : undefined;
}

function checkAppImage(image: string): Problem | undefined {
  const suffix = imageTagOrDigest(image);
  if (suffix === undefined) return undefined;
  return {
    message: `should not include a ${suffix.kind} (${quote(suffix.value)})`,
    hint: `remove the ${suffix.kind}; mrsk tags images with the version`,
  };
}

function checkSecretReference(entry: string): Problem | undefined {
  const parts = entry.split(":");
  if (entry !== "" && (parts.length === 1 || (parts.length === 2 && parts[0] !== "" && parts[1] !== ""))) return undefined;
  return {
    message: `should be NAME or NAME:SECRET_NAME, got ${quote(entry)}`,
    hint: "NAME:SECRET_NAME sets the container variable NAME from the secret SECRET_NAME",
  };
}

function checkReservedLabel(key: string): Problem | undefined {
  if (!RESERVED_LABELS.includes(key)) return undefined;
  return {
    message: `is reserved: mrsk sets the ${RESERVED_LABELS.join(", ")} labels itself`,
    hint: "use another label name",
  };
}

function checkAliasName(name: string): Problem | undefined {
  if (ALIAS_NAME.test(name)) return undefined;
  return {
    message: `invalid alias name ${quote(name)}: use lowercase letters, digits, "-" and "_"`,
    hint: `rename it, e.g. ${quote(name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-"))}`,
  };
}

/** `5432`, `5432:5432`, `127.0.0.1:5432:5432/tcp`, `8000-8010:8000-8010`: every port number in range. */
function checkPublishedPort(text: string): Problem | undefined {
  const ports = text.replace(/\/[a-z]+$/i, "").split(":").filter((part) => /^[\d-]+$/.test(part)).flatMap((part) => part.split("-"));
  const problem = ports.map(portProblem).find((p) => p !== undefined);
  return problem === undefined ? undefined : { message: `${problem}, in ${quote(text)}`, hint: "write host_port:container_port, e.g. 127.0.0.1:5432:5432" };
}

function checkHookOutputLevel(level: string): Problem | undefined {
  return level === "quiet" || level === "verbose" ? undefined : { message: `should be quiet or verbose, got ${quote(level)}` };
}

function checkCacheType(type: string): Problem | undefined {
  return type === "gha" || type === "registry" ? undefined : { message: `should be gha or registry, got ${quote(type)}` };
}

// ── shared value shapes ───────────────────────────────────────────────────────────────────

/** A host: `1.2.3.4`, or with env tags `1.2.3.4: tag` / `1.2.3.4: [tag1, tag2]` (Kamal 2). */
const tagNames = oneOf({ scalar: str("a tag name"), list: z.array(str("a tag name")) }, "a tag name or a list of tag names");
const taggedHost = accepts(custom((value, step) => {
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1) {
    return step.fail(
      `should be a string (a host name or address) or a one-key mapping "host: tag", got a mapping with ${entries.length} keys`,
      { hint: "write one host per list entry" },
    );
  }
  const [name, tags] = entries[0]!;
  const hostProblem = notAFlag()(name);
  if (hostProblem !== undefined) return step.fail(hostProblem.message, hostProblem.hint === undefined ? {} : { hint: hostProblem.hint }, [name]);
  const parsed = step.sub(tagNames, tags, [name]);
  return parsed === INVALID ? INVALID : { [name]: parsed };
}), () => z.record(z.string(), inputShape(tagNames)).describe("host: tag"));
const host = oneOf({ scalar: str("a host name or address", notAFlag()), map: taggedHost }, "a string (a host name or address)");
const hostArray = z.array(host);
const hostList = list(host, "a list of hosts", { scalarAsOne: true });
/** One host where a list of hosts is expected (`web: 1.2.3.4`). */
const singleHost = accepts(custom((value, step) => step.sub(hostArray, [value])), () => inputShape(host));

const volumes = list(str("a volume like /host/path:/container/path"), "a list of volumes");
const stringList = (what: string) => list(str(what), `a list of ${what}s`);

const labels = mapOf(strOrEmpty("a label value"), "a mapping of label names to values", { checkKey: checkReservedLabel });
const traefikLabels = mapOf(strOrEmpty("a label value"), "a mapping of label names to values");

const optionValue = oneOf(
  { boolean: bool(), scalar: str(), list: z.array(str("a flag value")) },
  "a flag value, a list of values, or true",
);

/**
 * `docker run` flags: `cpus: 2`, `cap-add: true` (a bare flag), `publish: [a, b]` (repeated).
 * A mapping is not a flag value; Kamal passes it through as garbage, we leave it out (the
 * warning is raised by the checks).
 */
const dockerOptions = accepts(custom((value, step) => {
  const kind = kindOf(value);
  if (kind === "null") return undefined;
  if (kind !== "map") return step.fail(`should be a mapping of docker flags to values, got ${describe(value)}`);
  const out: Record<string, string | boolean | string[]> = {};
  let ok = true;
  for (const [flag, raw] of Object.entries(value as Record<string, unknown>)) {
    if (isPlainObject(raw)) continue;
    if (flag === "restart" && !(typeof raw === "string" && RESTART_POLICY.test(raw))) {
      ok = false;
      step.fail(
        typeof raw === "string"
          ? `should be no, always, unless-stopped, on-failure or on-failure:N, got ${quote(raw)}`
          : `should be a string, got ${describe(raw)}`,
        { hint: 'write "no" (quoted) to disable restarts' },
        [flag],
      );
      continue;
    }
    const parsed = step.sub(optionValue, raw, [flag]);
    if (parsed === INVALID) ok = false;
    else out[flag] = parsed;
  }
  return ok ? out : INVALID;
}), () => z.union([z.record(z.string(), z.union([inputShape(optionValue), z.record(z.string(), z.unknown())])), z.null()]).describe("docker flags and their values"));

// ── env ───────────────────────────────────────────────────────────────────────────────────

const envValues = mapOf(strOrEmpty("an environment value"), "a mapping of variable names to values");
const envSecrets = list(str("a secret name", checkSecretReference), "a list of secret names");
const ENV_SECTION_KEYS = ["clear", "secret", "tags"];

/**
 * `env`: either a flat mapping (all clear) or `{clear, secret}` (`tags` only at the root). The
 * flat form is returned as `{clear: …}`, so consumers see one shape.
 */
function envSchema<T extends { clear?: Record<string, string> | undefined }>(structured: z.ZodType<T | undefined>) {
  const shape = () => z.union([inputShape(structured), inputShape(envValues)]);
  return accepts(custom((value, step): T | undefined | typeof INVALID => {
    const kind = kindOf(value);
    if (kind === "null") return undefined;
    if (kind !== "map") {
      return step.fail(`should be a mapping (NAME: value pairs, or clear/secret), got ${describe(value)}`);
    }
    if (Object.keys(value as object).some((key) => ENV_SECTION_KEYS.includes(key))) return step.sub(structured, value);
    const clear = step.sub(envValues, value);
    return clear === INVALID ? INVALID : ({ clear: clear ?? {} } as T);
  }), shape);
}

function nestedEnv(upKeys?: () => readonly string[]) {
  return envSchema(
    section({ clear: envValues, secret: envSecrets }, { what: "clear/secret environment settings", ...(upKeys ? { upKeys } : {}) }),
  );
}

const rootEnv = envSchema(
  section(
    { clear: envValues, secret: envSecrets, tags: mapOf(nestedEnv(), "a mapping of tag names to env settings") },
    { what: "clear/secret/tags environment settings" },
  ),
);

// ── proxy (kamal-proxy in Kamal 2; mrsk's Caddy driver) ───────────────────────────────────

const customCertificate = section(
  { certificate_pem: str("a secret name"), private_key_pem: str("a secret name") },
  { what: "certificate_pem and private_key_pem secret names" },
);

const proxySchema = optionalSection(
  {
    host: str("a host name"),
    hosts: stringList("host name"),
    app_port: int("port"),
    ssl: oneOf({ boolean: bool(), map: customCertificate }, "true, false, or a mapping with certificate_pem and private_key_pem"),
    ssl_redirect: bool(),
    forward_headers: bool(),
    response_timeout: int("seconds"),
    path_prefix: str("a path"),
    path_prefixes: stringList("path"),
    strip_path_prefix: bool(),
    healthcheck: optionalSection(
      {
        path: str("a path"),
        interval: int("seconds"),
        timeout: int("seconds"),
        protocol: str("http or websocket"),
        websocket_subprotocol: str("a subprotocol"),
      },
      { what: "the proxy healthcheck: path, interval, timeout" },
    ),
    buffering: optionalSection(
      {
        requests: bool(),
        responses: bool(),
        memory: int("bytes"),
        max_request_body: int("bytes"),
        max_response_body: int("bytes"),
      },
      { what: "buffering settings" },
    ),
    logging: optionalSection(
      { request_headers: stringList("header name"), response_headers: stringList("header name") },
      { what: "request_headers and response_headers" },
    ),
    run: optionalSection(
      {
        http_port: int("port"),
        https_port: int("port"),
        metrics_port: int("port"),
        debug: bool(),
        log_max_size: str("a size like 10m"),
        publish: bool(),
        bind_ips: stringList("IP to bind"),
        registry: str("a registry server"),
        repository: str("an image repository"),
        version: str("a version like v0.9.2"),
        options: dockerOptions,
        // mrsk's Caddy driver: the proxy image as one reference, and where certificates come from.
        image: str("an image reference like caddy:2", notAFlag()),
        tls_issuer: str("acme or internal", checkTlsIssuer),
      },
      { what: "how the proxy container is run" },
    ),
  },
  { what: "the proxy settings" },
);

function checkTlsIssuer(value: string): Problem | undefined {
  return value === "acme" || value === "internal"
    ? undefined
    : { message: `should be acme or internal, got ${JSON.stringify(value)}`, hint: "acme gets certificates from Let's Encrypt; internal uses Caddy's own CA" };
}

const roleProxy = oneOf({ boolean: bool(), map: proxySchema }, "true, false, or a mapping of proxy settings");

// ── MRSK / Kamal 1: traefik and the container healthcheck ─────────────────────────────────

const healthcheckSchema = optionalSection(
  {
    path: str("a path"),
    port: int("port"),
    max_attempts: int("count"),
    interval: str("a duration like 1s"),
    cmd: str("a command line"),
    log_lines: int("count"),
    exposed_port: int("port"),
    cord: oneOf({ boolean: bool(), scalar: str("a path") }, "a path or false"),
  },
  { what: "healthcheck settings: path, port, max_attempts, interval, cmd" },
);

const traefikSchema = optionalSection(
  {
    image: str("an image reference", notAFlag()),
    host_port: int("port"),
    publish: bool(),
    args: mapOf(optionValue, "a mapping of traefik arguments to values"),
    labels: traefikLabels,
    env: nestedEnv(),
    options: dockerOptions,
  },
  { what: "traefik settings" },
);

// ── registry, builder, ssh and friends ────────────────────────────────────────────────────

/** A literal (`user`) or a one-element list naming a secret (`[MRSK_REGISTRY_PASSWORD]`). */
const secretNameList = accepts(custom((value, step) => {
  const entries = value as unknown[];
  if (entries.length !== 1) {
    return step.fail(`should be a string or a list with one secret name, got a list of ${entries.length}`, {
      hint: "write the value itself, or `[SECRET_NAME]` to look it up in the secrets",
    });
  }
  const name = step.sub(str("a secret name"), entries[0], [0]);
  return name === INVALID ? INVALID : [name];
}), () => z.tuple([z.string()]).describe("[SECRET_NAME]"));
const credential = emptyAsAbsent(oneOf({ scalar: str(), list: secretNameList }, "a string or a list with one secret name"));

const registrySchema = optionalSection(
  { server: str("a registry host", notAFlag()), username: credential, password: credential },
  { what: "the registry settings: server, username, password" },
);

const builderHost = section({ arch: str("an architecture"), host: str("a docker host URL") }, { what: "arch and host" });

const builderSchema = optionalSection(
  {
    arch: oneOf({ scalar: str("an architecture"), list: z.array(str("an architecture")) }, "an architecture or a list of them"),
    multiarch: bool(),
    local: oneOf({ boolean: bool(), map: builderHost }, "true, false, or a mapping with arch and host"),
    remote: oneOf({ scalar: str("an ssh:// or docker host URL", notAFlag()), map: builderHost }, "a builder URL, or a mapping with arch and host"),
    driver: str("docker, docker-container or cloud ORG/NAME"),
    cache: optionalSection(
      { type: str("gha or registry", checkCacheType), image: str("an image name"), options: str("cache options like mode=max") },
      { what: "cache settings: type, image, options" },
    ),
    args: mapOf(strOrEmpty("a build argument value"), "a mapping of build arguments to values"),
    secrets: stringList("secret name"),
    dockerfile: str("a path", notAFlag()),
    context: str("a path", notAFlag()),
    target: str("a build stage", notAFlag()),
    ssh: str("an ssh agent socket or key", notAFlag()),
    provenance: oneOf({ boolean: bool(), scalar: str() }, "a provenance setting or true/false"),
    sbom: oneOf({ boolean: bool(), scalar: str() }, "an SBOM setting or true/false"),
    pack: optionalSection({ builder: str("a builder image"), buildpacks: stringList("buildpack") }, { what: "builder and buildpacks" }),
    additional_contexts: mapOf(str("a path"), "a mapping of context names to paths"),
  },
  { what: "the builder settings" },
);

const sshSchema = optionalSection(
  {
    user: str("a user name", notAFlag()),
    port: int("port"),
    proxy: str("a host or user@host", notAFlag()),
    proxy_command: str("a command line"),
    log_level: str("a log level"),
    keys_only: bool(),
    keys: stringList("key path"),
    key_data: stringList("private key"),
    config: oneOf(
      { boolean: bool(), scalar: str("a path"), list: z.array(str("a path")) },
      "true, false, a path or a list of paths",
    ),
    forward_agent: bool(),
  },
  { what: "ssh settings: user, port, proxy, keys, …" },
);

const sshkitSchema = optionalSection(
  { max_concurrent_starts: int("count"), pool_idle_timeout: int("seconds"), dns_retries: int("count") },
  { what: "sshkit settings" },
);

/** `boot.limit`: a number of hosts, or a percentage of them like "25%". */
const bootLimit = accepts(custom((value, step) => {
  const hint = 'e.g. `limit: 2` or `limit: "25%"`';
  const count = toInteger(value);
  if (count !== undefined) return count >= 1 ? count : step.fail(`should be at least 1, got ${count}`, { hint });
  const percentage = typeof value === "string" ? /^\s*(\d+)\s*%\s*$/.exec(value) : null;
  if (percentage) {
    const share = Number(percentage[1]);
    if (share >= 1 && share <= 100) return `${share}%`;
    return step.fail(`should be a percentage between 1% and 100%, got ${quote(value as string)}`, { hint });
  }
  return step.fail(`should be a number of hosts or a percentage like "25%", got ${describe(value)}`, { hint });
}), () => z.union([z.number().int().min(1), z.string().regex(/^\s*\d+\s*%?\s*$/)]));

const bootSchema = optionalSection(
  { limit: bootLimit, wait: int("seconds"), parallel_roles: bool() },
  { what: "boot settings: limit, wait" },
);

const lockSchema = optionalSection({ ttl: int("seconds", { min: 1 }) }, { what: "deploy lock settings: ttl" });

const loggingSchema = optionalSection(
  { driver: str("a docker log driver"), options: mapOf(strOrEmpty("a log option value"), "a mapping of log options") },
  { what: "logging settings: driver, options" },
);

const outputSchema = optionalSection(
  {
    file: optionalSection({ path: str("a directory") }, { what: "file output settings: path" }),
    otel: optionalSection({ endpoint: str("an OTLP/HTTP URL") }, { what: "OpenTelemetry settings: endpoint" }),
  },
  { what: "output settings: file, otel" },
);

const hookOutputLevel = str("quiet or verbose", checkHookOutputLevel);
const hooksOutput = oneOf(
  { scalar: hookOutputLevel, map: mapOf(hookOutputLevel, "a mapping of hook names to quiet or verbose") },
  "quiet, verbose, or a mapping of hook names to quiet or verbose",
);

const aliases = mapOf(str("a command line"), "a mapping of alias names to commands", { checkKey: checkAliasName });

// ── servers and roles ─────────────────────────────────────────────────────────────────────

const ROLE_KEYS = [
  "hosts",
  "cmd",
  "env",
  "labels",
  "options",
  "traefik",
  "healthcheck",
  "proxy",
  "logging",
  "stop_timeout",
  "asset_path",
] as const;

const roleSchema = section(
  {
    hosts: hostList,
    cmd: str("a command line"),
    env: nestedEnv(() => ROLE_KEYS),
    labels,
    options: dockerOptions,
    traefik: bool(),
    healthcheck: healthcheckSchema,
    proxy: roleProxy,
    logging: loggingSchema,
    stop_timeout: int("seconds"),
    asset_path: str("a path"),
  } satisfies Record<(typeof ROLE_KEYS)[number], z.ZodType>,
  { what: "role settings with `hosts:`" },
);

/** A role: a list of hosts, a mapping with `hosts:`, or empty (filled by a destination overlay). */
const role = oneOf(
  { list: hostArray, scalar: singleHost, map: roleSchema, null: keepNull },
  "a list of hosts or a mapping with `hosts:`",
);

const serversSchema = oneOf(
  { list: hostArray, scalar: singleHost, map: mapOf(role, "a mapping of role names to hosts", { checkKey: checkRoleName }) },
  "a list of hosts or a mapping of role names to hosts",
);

// ── accessories ───────────────────────────────────────────────────────────────────────────

const ACCESSORY_KEYS = [
  "service",
  "image",
  "registry",
  "host",
  "hosts",
  "role",
  "roles",
  "tag",
  "tags",
  "cmd",
  "port",
  "labels",
  "options",
  "env",
  "files",
  "directories",
  "volumes",
  "network",
  "proxy",
] as const;

const mountedPath = oneOf(
  {
    scalar: str("a path like local:remote"),
    map: section(
      { local: str("a path"), remote: str("a path"), mode: str("a file mode"), owner: str("a user"), options: str("mount options") },
      { what: "local, remote, mode, owner, options" },
    ),
  },
  "a path like local:remote, or a mapping with local and remote",
);

const accessorySchema = section(
  {
    service: str("a service name", checkService),
    image: emptyAsAbsent(str("an image reference", notAFlag())),
    registry: registrySchema,
    host: emptyAsAbsent(str("a host name or address", notAFlag())),
    hosts: hostList,
    role: emptyAsAbsent(str("a role name")),
    roles: stringList("role name"),
    tag: emptyAsAbsent(str("a tag name")),
    tags: stringList("tag name"),
    cmd: str("a command line"),
    port: str("a port or mapping like 127.0.0.1:5432:5432", checkPublishedPort),
    labels,
    options: dockerOptions,
    env: nestedEnv(() => ACCESSORY_KEYS),
    files: list(mountedPath, "a list of files like local:remote"),
    directories: list(mountedPath, "a list of directories like local:remote"),
    volumes,
    network: str("a docker network"),
    proxy: proxySchema,
  } satisfies Record<(typeof ACCESSORY_KEYS)[number], z.ZodType>,
  { what: "accessory settings: image, host, port, env, …" },
);

// ── the whole file ────────────────────────────────────────────────────────────────────────

export const configSchema = section(
  {
    service: emptyAsAbsent(str("the service name", checkService)),
    image: emptyAsAbsent(str("an image repository like user/app", notAFlag(checkAppImage))),
    servers: emptyAsAbsent(serversSchema),
    env: rootEnv,
    registry: registrySchema,
    labels,
    volumes,
    logging: loggingSchema,
    builder: builderSchema,
    accessories: mapOf(accessorySchema, "a mapping of accessory names to settings", { checkKey: checkAccessoryName }),
    ssh: sshSchema,
    sshkit: sshkitSchema,
    boot: bootSchema,
    lock: lockSchema,
    proxy: proxySchema,
    traefik: traefikSchema,
    healthcheck: healthcheckSchema,
    stop_wait_time: int("seconds"),
    readiness_delay: int("seconds"),
    deploy_timeout: int("seconds"),
    drain_timeout: int("seconds"),
    stop_timeout: int("seconds"),
    retain_containers: int("count", { min: 1 }),
    hooks_path: str("a path"),
    hooks_output: hooksOutput,
    secrets_path: str("a path"),
    error_pages_path: str("a path"),
    asset_path: str("a path"),
    primary_role: str("a role name"),
    require_destination: bool(),
    allow_empty_roles: bool(),
    minimum_version: str("a version"),
    run_directory: str("a path"),
    aliases,
    output: outputSchema,
    release_command: str("a command line"),
  },
  {
    what: "the deploy settings",
    allowExtensions: true,
    down: { keys: () => ROLE_KEYS, where: "servers.<role>" },
  },
);

export type RawConfig = NonNullable<z.output<typeof configSchema>>;
export type RawRole = NonNullable<z.output<typeof roleSchema>>;
export type RawHost = z.output<typeof host>;
export type RawEnv = NonNullable<z.output<typeof rootEnv>>;
export type RawAccessory = NonNullable<z.output<typeof accessorySchema>>;
export type RawProxy = NonNullable<z.output<typeof proxySchema>>;
export type RawBuilder = NonNullable<z.output<typeof builderSchema>>;
export type RawRegistry = NonNullable<z.output<typeof registrySchema>>;
export type RawHealthcheck = NonNullable<z.output<typeof healthcheckSchema>>;
export type RawTraefik = NonNullable<z.output<typeof traefikSchema>>;
export type RawDockerOptions = NonNullable<z.output<typeof dockerOptions>>;
