import type { Config } from "../config/model.js";
import type { Role } from "../config/role.js";
import { docker, envArgs, labelArgs, loggingArgs, optionArgs } from "./docker.js";
import { any, silenceStderr, type Cmd, type Word } from "./shell.js";

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
