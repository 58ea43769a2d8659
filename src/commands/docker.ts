import { rubyToS } from "../config/ruby-yaml.js";
import { any, cmd, combine, expandable, op, silence, substitute, type Cmd, type Word } from "./shell.js";

// Docker flags from configuration values. Each returns words; `toShell` quotes them.

export const docker = (...words: ReadonlyArray<Word | false | null | undefined>): Cmd => cmd("docker", ...words);

/** `{cap-add: true, memory: 1g, add-host: [a, b]}` → `--cap-add --memory 1g --add-host a --add-host b`. */
export function optionArgs(options: Readonly<Record<string, unknown>>): Word[] {
  const out: Word[] = [];
  for (const [key, value] of Object.entries(options)) {
    const flag = key.startsWith("-") ? key : `--${key}`;
    if (value === true || value === null || value === undefined) out.push(flag);
    else if (value === false) continue;
    else if (Array.isArray(value)) for (const item of value) out.push(flag, rubyToS(item));
    else if (typeof value === "object") out.push(flag, JSON.stringify(value));
    else out.push(flag, rubyToS(value));
  }
  return out;
}

/** `--label key=value` for each pair. */
export function labelArgs(pairs: ReadonlyArray<readonly [string, string]>): Word[] {
  return pairs.flatMap(([k, v]) => ["--label", `${k}=${v}`]);
}

/** `--env KEY=value` for each clear variable; `${NAME}` in a value expands on the host. */
export function envArgs(values: Readonly<Record<string, string>>): Word[] {
  return Object.entries(values).flatMap(([k, v]) => ["--env", expandable(`${k}=${v}`)]);
}

/** `--volume host:container`; `${NAME}` (e.g. `${PWD}`) expands on the host. */
export function volumeArgs(volumes: readonly string[]): Word[] {
  return volumes.flatMap((v) => ["--volume", expandable(v)]);
}

export interface Logging {
  driver: string | undefined;
  options: Readonly<Record<string, string>>;
}

/** The configured log driver, or Docker's json-file capped at 10 MB like MRSK does. */
export function loggingArgs(logging: Logging): Word[] {
  const options = logging.driver === undefined && Object.keys(logging.options).length === 0 ? { "max-size": "10m" } : logging.options;
  return [
    ...(logging.driver === undefined ? [] : ["--log-driver", logging.driver]),
    ...Object.entries(options).flatMap(([k, v]) => ["--log-opt", `${k}=${v}`]),
  ];
}

/** A command line from configuration (role `cmd`), split by the remote shell as MRSK does. */
export function configuredCommand(line: string | undefined): Word[] {
  return line === undefined || line.trim() === "" ? [] : [op(line)];
}

export const HEALTH_STATUS_FORMAT = "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}";

/** Creates the network unless it exists. */
export function ensureNetwork(name: string): Cmd {
  return any(silence(docker("network", "inspect", name)), silence(docker("network", "create", name)));
}

/**
 * Removes the network unless a container, running or not, is attached to it: another service's
 * stopped container would not start again without it. Always exits 0.
 */
export function removeNetworkIfUnused(name: string): Cmd {
  return any(
    combine(cmd("test", "-z", substitute(docker("ps", "--all", "--quiet", "--filter", `network=${name}`))), silence(docker("network", "rm", name))),
    cmd("true"),
  );
}

/** Whether a docker command failed because the daemon does not answer (stopped, restarting). */
export function dockerDaemonDown(stderr: string): boolean {
  return /Cannot connect to the Docker daemon|Is the docker daemon running/.test(stderr);
}
