import type { Config } from "../config/model.js";
import type { Role } from "../config/role.js";
import { docker, envArgs, labelArgs, loggingArgs, optionArgs } from "./docker.js";
import { any, chain, cmd, silence, silenceStderr, type Cmd, type Word } from "./shell.js";

// The MRSK proxy: one `traefik` container per web host, watching Docker for app containers that
// carry router labels and are healthy.

export const TRAEFIK_CONTAINER = "traefik";

export function traefikEnvFile(config: Config): string {
  return `${config.runDirectory}/traefik/traefik.env`;
}

export function runTraefik(config: Config): Cmd {
  const t = config.traefik;
  return docker(
    "run",
    "--name",
    TRAEFIK_CONTAINER,
    "--detach",
    "--restart",
    "unless-stopped",
    "--publish",
    `${t.hostPort}:80`,
    "--volume",
    "/var/run/docker.sock:/var/run/docker.sock",
    ...envArgs(t.env.clear),
    ...(t.env.secrets.length > 0 ? ["--env-file", traefikEnvFile(config)] : []),
    ...loggingArgs(config.logging),
    ...labelArgs(Object.entries(t.labels)),
    ...optionArgs(t.options),
    t.image,
    "--providers.docker",
    "--log.level=DEBUG",
    ...traefikArgs(t.args),
  );
}

/** `{accesslog: true, "accesslog.format": json}` → `--accesslog=true --accesslog.format=json`. */
function traefikArgs(args: Readonly<Record<string, unknown>>): Word[] {
  return Object.entries(args).flatMap(([k, v]) => (Array.isArray(v) ? v.map((item) => `--${k}=${String(item)}`) : [`--${k}=${String(v)}`]));
}

export function startTraefik(): Cmd {
  return docker("container", "start", TRAEFIK_CONTAINER);
}

export function stopTraefik(): Cmd {
  return docker("container", "stop", TRAEFIK_CONTAINER);
}

/** Starts the Traefik container, running a new one when there is none (starting a running one does nothing). */
export function startOrRunTraefik(config: Config): Cmd {
  return any(silenceStderr(startTraefik()), runTraefik(config));
}

/** Router, service and retry labels that put a role's containers behind Traefik, as MRSK sets them. */
export function traefikLabels(role: Role): Array<[string, string]> {
  const name = role.containerPrefix;
  return [
    [`traefik.http.services.${name}.loadbalancer.server.scheme`, "http"],
    [`traefik.http.routers.${name}.rule`, "PathPrefix(`/`)"],
    [`traefik.http.middlewares.${name}-retry.retry.attempts`, "5"],
    [`traefik.http.middlewares.${name}-retry.retry.initialinterval`, "500ms"],
    [`traefik.http.routers.${name}.middlewares`, `${name}-retry@docker`],
  ];
}

export function traefikAppArgs(role: Role): Word[] {
  // The user's labels come after these (in the role's labels), so they can override the rule.
  return labelArgs(traefikLabels(role).filter(([k]) => !(k in role.labels)));
}

// --- operating Traefik: details, reboot, remove ---

/** Stops and removes the Traefik container if there is one. */
export function removeTraefikContainer(): Cmd {
  return chain(silence(stopTraefik()), silence(docker("container", "rm", TRAEFIK_CONTAINER)), cmd("true"));
}

/** Replaces the Traefik container with a new one of the configured image, args and labels. */
export function rebootTraefik(config: Config): Cmd {
  return chain(silence(stopTraefik()), silence(docker("container", "rm", TRAEFIK_CONTAINER)), runTraefik(config));
}

/** Removes Traefik's image; fails while a container uses it. */
export function removeTraefikImage(config: Config): Cmd {
  return docker("image", "rm", config.traefik.image);
}

/** Every container on the host: name, `service` and `destination` labels, and all labels. */
export function listLabelledContainers(): Cmd {
  return docker("ps", "--all", "--format", '{{.Names}}\t{{.Label "service"}}\t{{.Label "destination"}}\t{{.Labels}}');
}

/**
 * Containers on the host that Traefik routes to and that belong to something else than this
 * service and destination: while there are any, Traefik stays.
 */
export function containersOfOthersUsingTraefik(config: Config, stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [name = "", service = "", destination = "", ...labels] = line.split("\t");
      return { name, service, destination, labels: labels.join("\t") };
    })
    .filter((c) => c.name !== TRAEFIK_CONTAINER)
    .filter((c) => !(c.service === config.service && c.destination === (config.destination ?? "")))
    .filter((c) => /(^|,)traefik\./.test(c.labels))
    .map((c) => c.name);
}
