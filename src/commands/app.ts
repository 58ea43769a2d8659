import type { Config } from "../config/model.js";
import type { Role } from "../config/role.js";
import {
  HEALTH_STATUS_FORMAT,
  configuredCommand,
  docker,
  envArgs,
  labelArgs,
  loggingArgs,
  optionArgs,
  volumeArgs,
} from "./docker.js";
import { appNetwork } from "./network.js";
import { chain, cmd, mergeStderr, pipe, type Cmd, type Word } from "./shell.js";

// The app's containers: run, start, stop, inspect, remove. Names and labels come from the model.

export interface RunAppOptions {
  version: string;
  /** The host the container runs on, for its hostname and MRSK_HOST. */
  host: string;
  /** Random suffix that keeps container hostnames unique per boot. */
  hostnameSuffix: string;
  /** Extra docker run flags from the proxy driver (Traefik labels, network). */
  proxyArgs?: readonly Word[];
}

export function runApp(config: Config, role: Role, options: RunAppOptions): Cmd {
  const name = role.containerName(options.version);
  const env = role.env(options.host);
  return docker(
    "run",
    "--detach",
    "--restart",
    "unless-stopped",
    "--name",
    name,
    "--hostname",
    containerHostname(options.host, options.hostnameSuffix),
    ...envArgs({ ...toolEnv(config, name, options.version, options.host), ...env.clear }),
    ...(env.secrets.length > 0 ? ["--env-file", config.roleEnvFile(role)] : []),
    ...healthcheckArgs(role),
    ...loggingArgs(role.logging),
    ...volumeArgs(config.volumes),
    ...labelArgs(role.labelPairs),
    ...(options.proxyArgs ?? []),
    ...optionArgs(role.options),
    config.imageRef(options.version),
    ...configuredCommand(role.cmd),
  );
}

/** Variables every app container gets: its name, version and host (with the Kamal names too for Kamal configs). */
export function toolEnv(config: Config, containerName: string, version: string, host: string): Record<string, string> {
  const env: Record<string, string> = { MRSK_CONTAINER_NAME: containerName, MRSK_VERSION: version, MRSK_HOST: host };
  if (config.destination !== undefined) env.MRSK_DESTINATION = config.destination;
  if (config.era === "kamal") {
    for (const [k, v] of Object.entries(env)) env[k.replace(/^MRSK_/, "KAMAL_")] = v;
  }
  return env;
}

/** `<host>-<suffix>`, within the 64 characters a hostname may have. */
export function containerHostname(host: string, suffix: string): string {
  return `${host.slice(0, 51).replace(/\.+$/, "")}-${suffix}`;
}

export function healthcheckArgs(role: Role): Word[] {
  const hc = role.healthcheck;
  if (hc === undefined) return [];
  const probe = hc.cmd ?? `curl -fsS http://localhost:${hc.port}${hc.path} || exit 1`;
  return ["--health-cmd", probe, "--health-interval", hc.interval];
}

function roleFilters(config: Config, role: Role): Word[] {
  return [
    "--filter",
    `label=service=${config.service}`,
    "--filter",
    `label=destination=${config.destination ?? ""}`,
    "--filter",
    `label=role=${role.name}`,
  ];
}

/** Name of the newest running (or restarting) container of the role, if any. */
export function currentContainer(config: Config, role: Role): Cmd {
  return docker(
    "ps",
    "--latest",
    ...roleFilters(config, role),
    "--filter",
    "status=running",
    "--filter",
    "status=restarting",
    "--format",
    "{{.Names}}",
  );
}

/** Every container of the service on a host, one per line: name, state, role, image, creation time. */
export function listServiceContainers(config: Config): Cmd {
  return docker(
    "ps",
    "--all",
    "--filter",
    `label=service=${config.service}`,
    "--filter",
    `label=destination=${config.destination ?? ""}`,
    "--format",
    '{{.Names}}\t{{.State}}\t{{.Label "role"}}\t{{.Image}}\t{{.CreatedAt}}',
  );
}

export interface ContainerRow {
  name: string;
  state: string;
  role: string;
  image: string;
  createdAt: string;
}

export function parseContainerRows(stdout: string): ContainerRow[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const [name = "", state = "", role = "", image = "", createdAt = ""] = line.split("\t");
      return { name, state, role, image, createdAt };
    });
}

export function startContainer(name: string): Cmd {
  return docker("start", name);
}

export function stopContainer(name: string, timeoutSeconds: number | undefined): Cmd {
  return docker("stop", ...(timeoutSeconds === undefined ? [] : ["-t", String(timeoutSeconds)]), name);
}

export function removeContainer(name: string): Cmd {
  return docker("rm", "--force", name);
}

export function renameContainer(from: string, to: string): Cmd {
  return docker("rename", from, to);
}

/** One line per container: `<name> <health or state> <restart count>`. */
export function healthStatus(names: readonly string[]): Cmd {
  return docker("inspect", "--format", `{{.Name}} ${HEALTH_STATUS_FORMAT} {{.RestartCount}}`, ...names);
}

export interface ContainerHealth {
  status: string;
  /** How often Docker restarted the container (its restart policy) since it was created. */
  restarts: number;
}

export function parseHealthStatus(stdout: string): Map<string, ContainerHealth> {
  const out = new Map<string, ContainerHealth>();
  for (const line of stdout.split("\n")) {
    const [name, status, restarts] = line.trim().split(/\s+/);
    if (name && status) out.set(name.replace(/^\//, ""), { status, restarts: Number(restarts ?? 0) || 0 });
  }
  return out;
}

/**
 * Everything a failed boot shows, in one round trip: a first line with Docker's state as JSON (exit
 * code, OOM kill, health probe log) and the restart count, then the container's last log lines.
 */
export function diagnoseContainer(name: string, lines: number): Cmd {
  return chain(docker("inspect", "--format", "{{json .State}} {{.RestartCount}}", name), mergeStderr(docker("logs", "--tail", String(lines), name)));
}

export function tagLatest(config: Config, version: string): Cmd {
  return docker("tag", config.imageRef(version), config.latestImage);
}

export function pullImage(config: Config, version: string): Cmd {
  return docker("pull", config.imageRef(version));
}

/** Tags of the app's images present on the host, one per line. */
export function listImageTags(config: Config): Cmd {
  return docker("image", "ls", config.repository, "--format", "{{.Tag}}");
}

/** A one-off container of the image with the role's environment, removed when it exits. */
export function runOnce(config: Config, role: Role, host: string, version: string, line: string, extra: readonly Word[] = []): Cmd {
  return oneOffContainer(config, role, host, version, line, { extra });
}

export interface OneOffOptions {
  /** `-it`: a terminal and stdin for an interactive session. */
  interactive?: boolean;
  /** Variables added after the role's, so they win (`app exec -e`). */
  env?: Readonly<Record<string, string>>;
  /** Further `docker run` flags, before the environment. */
  extra?: readonly Word[];
}

/** `docker run --rm` of the version's image with the role's environment, volumes and options. */
export function oneOffContainer(config: Config, role: Role, host: string, version: string, line: string, options: OneOffOptions = {}): Cmd {
  const env = role.env(host);
  const name = role.containerName(version);
  // Like the app's containers, so a migration or a console reaches the accessories by name.
  const network = appNetwork(config);
  return docker(
    "run",
    "--rm",
    ...(options.interactive === true ? ["-it"] : []),
    ...(network === undefined ? [] : ["--network", network]),
    ...(options.extra ?? []),
    ...envArgs({ ...toolEnv(config, name, version, host), ...env.clear }),
    ...(env.secrets.length > 0 ? ["--env-file", config.roleEnvFile(role)] : []),
    ...envArgs(options.env ?? {}),
    ...volumeArgs(config.volumes),
    ...optionArgs(role.options),
    config.imageRef(version),
    ...configuredCommand(line),
  );
}

/** Runs `line` inside a running container (`--reuse`), with extra variables if given. */
export function execInContainer(container: string, line: string, interactive: boolean, env: Readonly<Record<string, string>> = {}): Cmd {
  return docker("exec", ...(interactive ? ["-it"] : []), ...envArgs(env), container, ...configuredCommand(line));
}

export function ensureDirectory(path: string): Cmd {
  return cmd("mkdir", "-p", path);
}

// --- operating a deployed app: details, logs, stop, remove ---

const RUNNING_FILTERS = ["--filter", "status=running", "--filter", "status=restarting"];

/** `docker ps` of the role's running containers, as `app details` shows them. */
export function roleDetails(config: Config, role: Role): Cmd {
  return docker("ps", ...roleFilters(config, role));
}

/** Every container of the role, running or not, as `app containers` shows them. */
export function listRoleContainers(config: Config, role: Role): Cmd {
  return docker("container", "ls", "--all", ...roleFilters(config, role));
}

/** The app's images on the host, as `app images` shows them. */
export function listAppImages(config: Config): Cmd {
  return docker("image", "ls", config.repository);
}

/** `<image id> <tag>` for each of the app's images: which versions the latest tag is. */
export function listImageIdsAndTags(config: Config): Cmd {
  return docker("image", "ls", config.repository, "--format", "{{.ID}} {{.Tag}}");
}

/** `<repository>:<tag>` of each of the app's tagged images. */
export function listAppImageRefs(config: Config): Cmd {
  return docker("image", "ls", config.repository, "--format", "{{.Repository}}:{{.Tag}}");
}

/** Names of the service's running containers made from the image the latest tag points to. */
export function runningFromLatestImage(config: Config): Cmd {
  return docker(
    "ps",
    "--filter",
    `label=service=${config.service}`,
    "--filter",
    `label=destination=${config.destination ?? ""}`,
    ...RUNNING_FILTERS,
    "--filter",
    `ancestor=${config.latestImage}`,
    "--format",
    "{{.Names}}",
  );
}

/** Stops every running container of the role on the host. */
export function stopRoleContainers(config: Config, role: Role, timeoutSeconds: number | undefined): Cmd {
  return pipe(
    docker("ps", "--quiet", ...roleFilters(config, role), ...RUNNING_FILTERS),
    cmd("xargs", "--no-run-if-empty", "docker", "stop", ...(timeoutSeconds === undefined ? [] : ["-t", String(timeoutSeconds)])),
  );
}

/** Removes every stopped container of the role (run after stopRoleContainers). */
export function pruneRoleContainers(config: Config, role: Role): Cmd {
  return docker("container", "prune", "--force", ...roleFilters(config, role));
}

/** Removes every image of the service that no container uses, tags and all. */
export function pruneAppImages(config: Config): Cmd {
  return docker("image", "prune", "--all", "--force", "--filter", `label=service=${config.service}`);
}

export interface LogOptions {
  /** `--since`: a timestamp or a relative time such as `42m`. */
  since?: string | undefined;
  /** `--tail`: how many of the last lines. */
  lines?: number | undefined;
  /** Only lines matching this (grep runs on the host). */
  grep?: string | undefined;
  /** Keep streaming new lines. */
  follow?: boolean | undefined;
}

/** A container's log (stdout and stderr) with timestamps, optionally filtered on the host. */
export function containerLogs(container: string, options: LogOptions): Cmd {
  const logs = mergeStderr(
    docker(
      "logs",
      "--timestamps",
      ...(options.since === undefined ? [] : ["--since", options.since]),
      ...(options.lines === undefined ? [] : ["--tail", String(options.lines)]),
      ...(options.follow === true ? ["--follow"] : []),
      container,
    ),
  );
  if (options.grep === undefined) return logs;
  // Without --line-buffered, grep holds matches in its pipe buffer while following.
  return pipe(logs, cmd("grep", ...(options.follow === true ? ["--line-buffered"] : []), "-e", options.grep));
}

/** `docker ps` of one container by its exact name (a proxy's, in `details`). */
export function namedContainerDetails(name: string): Cmd {
  return docker("ps", "--filter", `name=^${name}$`);
}
