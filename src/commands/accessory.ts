import { posix } from "node:path";
import type { Accessory } from "../config/accessory.js";
import type { Config } from "../config/model.js";
import { configuredCommand, docker, ensureNetwork, envArgs, labelArgs, loggingArgs, optionArgs, volumeArgs } from "./docker.js";
import { appNetwork } from "./network.js";
import { chain, cmd, expandable, silence, type Cmd, type Word } from "./shell.js";

// Accessories keep their data in `~/<accessory service>/` on the host (MRSK's layout): uploaded
// files and directories are mounted from there, so they survive reboots of the container.

/** The accessory's directory on the host, relative to the SSH user's home. */
export function accessoryDirectory(accessory: Accessory): string {
  return accessory.service;
}

/** Host path of an uploaded file: `<dir>/<remote path inside the container>`. */
export function accessoryFileHostPath(accessory: Accessory, remote: string): string {
  return posix.join(accessoryDirectory(accessory), remote);
}

/** Host path of a directory; absolute paths are used as given. */
export function accessoryDirectoryHostPath(accessory: Accessory, host: string): string {
  return host.startsWith("/") ? host : posix.join(accessoryDirectory(accessory), host);
}

// Mounts are given as `${PWD}/…` so the host's shell makes them absolute (docker needs that).
function mountFromHome(relative: string): string {
  return relative.startsWith("/") ? relative : `\${PWD}/${relative}`;
}

export function accessoryMounts(accessory: Accessory): Word[] {
  const files = accessory.files.flatMap((f) => [
    "--volume",
    expandable(`${mountFromHome(accessoryFileHostPath(accessory, f.remote))}:${f.remote}${f.options === undefined ? "" : `:${f.options}`}`),
  ]);
  const dirs = accessory.directories.flatMap((d) => [
    "--volume",
    expandable(`${mountFromHome(accessoryDirectoryHostPath(accessory, d.host))}:${d.remote}${d.options === undefined ? "" : `:${d.options}`}`),
  ]);
  return [...files, ...dirs];
}

/** The accessory's `network`, else the app network (Kamal 2's accessories join `kamal` by default). */
export function accessoryNetwork(config: Config, accessory: Accessory): string | undefined {
  return accessory.network ?? appNetwork(config);
}

/** Creates the accessory's network when it is the app network (mrsk's own); another network is the user's to create. */
export function ensureAccessoryNetwork(config: Config, accessory: Accessory): Cmd[] {
  const network = accessoryNetwork(config, accessory);
  return network !== undefined && network === appNetwork(config) ? [ensureNetwork(network)] : [];
}

function networkArgs(network: string | undefined): Word[] {
  return network === undefined ? [] : ["--network", network];
}

export function runAccessory(config: Config, accessory: Accessory): Cmd {
  return docker(
    "run",
    "--name",
    accessory.service,
    "--detach",
    "--restart",
    "unless-stopped",
    ...networkArgs(accessoryNetwork(config, accessory)),
    ...loggingArgs(config.logging),
    ...(accessory.port === undefined ? [] : ["--publish", accessory.port]),
    ...envArgs(accessory.env.clear),
    ...(accessory.env.secrets.length > 0 ? ["--env-file", config.accessoryEnvFile(accessory)] : []),
    ...volumeArgs(accessory.volumes),
    ...accessoryMounts(accessory),
    ...labelArgs([["service", accessory.service], ...Object.entries(accessory.labels)]),
    ...optionArgs(accessory.options),
    accessory.image,
    ...configuredCommand(accessory.cmd),
  );
}

/** The accessory's container state (`running`, `exited`, …); fails when there is none. */
export function accessoryState(accessory: Accessory): Cmd {
  return docker("container", "inspect", "--format", "{{.State.Status}}", accessory.service);
}

/** Directories to create before the first boot: the accessory's own, its files' parents, its directories. */
export function makeAccessoryDirectories(accessory: Accessory): Cmd {
  const dirs = new Set<string>([accessoryDirectory(accessory)]);
  for (const f of accessory.files) dirs.add(posix.dirname(accessoryFileHostPath(accessory, f.remote)));
  for (const d of accessory.directories) dirs.add(accessoryDirectoryHostPath(accessory, d.host));
  return cmd("mkdir", "-p", ...dirs);
}

// --- operating an accessory: details, start/stop, exec, remove ---

/** `docker ps` of the accessory's container, as `accessory details` shows it. */
export function accessoryDetails(accessory: Accessory): Cmd {
  return docker("ps", "--filter", `label=service=${accessory.service}`);
}

export function startAccessory(accessory: Accessory): Cmd {
  return docker("container", "start", accessory.service);
}

export function stopAccessory(accessory: Accessory): Cmd {
  return docker("container", "stop", accessory.service);
}

/**
 * Stops and removes the container if there is one, keeping its data: files and directories live
 * on the host and named volumes outlive containers.
 */
export function removeAccessoryContainerIfAny(accessory: Accessory): Cmd {
  return chain(silence(stopAccessory(accessory)), silence(docker("container", "rm", accessory.service)), cmd("true"));
}

/** Stops and removes the container with its anonymous volumes (`accessory remove`). */
export function removeAccessoryContainer(accessory: Accessory): Cmd {
  return chain(silence(stopAccessory(accessory)), docker("container", "rm", "--volumes", accessory.service));
}

/** Removes the image; fails while another container uses it. */
export function removeAccessoryImage(accessory: Accessory): Cmd {
  return docker("image", "rm", accessory.image);
}

/** The accessory's directory on the host (its files and relative directories) and its env file. */
export function removeAccessoryFiles(config: Config, accessory: Accessory): Cmd {
  return cmd("rm", "-rf", accessoryDirectory(accessory), config.accessoryEnvFile(accessory));
}

export interface AccessoryExecOptions {
  interactive?: boolean;
  env?: Readonly<Record<string, string>>;
}

/** Runs `line` in the accessory's running container. */
export function execInAccessory(accessory: Accessory, line: string, options: AccessoryExecOptions = {}): Cmd {
  return docker("exec", ...(options.interactive === true ? ["-it"] : []), ...envArgs(options.env ?? {}), accessory.service, ...configuredCommand(line));
}

/** Runs `line` in a new container of the accessory's image, with its env, volumes, files and directories. */
export function runAccessoryOnce(config: Config, accessory: Accessory, line: string, options: AccessoryExecOptions = {}): Cmd {
  return docker(
    "run",
    "--rm",
    ...(options.interactive === true ? ["-it"] : []),
    ...networkArgs(accessoryNetwork(config, accessory)),
    ...envArgs(accessory.env.clear),
    ...(accessory.env.secrets.length > 0 ? ["--env-file", config.accessoryEnvFile(accessory)] : []),
    ...envArgs(options.env ?? {}),
    ...volumeArgs(accessory.volumes),
    ...accessoryMounts(accessory),
    accessory.image,
    ...configuredCommand(line),
  );
}
