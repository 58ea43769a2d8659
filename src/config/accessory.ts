import type { EnvSpec } from "./env.js";

// A long-lived service next to the app (database, cache): booted once, kept across deploys.

export interface AccessoryFile {
  /** Local path, relative to the project. */
  local: string;
  /** Path inside the container. */
  remote: string;
  mode: string | undefined;
  owner: string | undefined;
  options: string | undefined;
}

export interface AccessoryDirectory {
  /** Directory on the host, relative to the accessory's directory unless absolute. */
  host: string;
  /** Path inside the container. */
  remote: string;
  mode: string | undefined;
  owner: string | undefined;
  options: string | undefined;
}

export interface Accessory {
  readonly name: string;
  /** Container name and `service` label: `<service>-<name>` unless overridden. */
  readonly service: string;
  readonly image: string;
  readonly hosts: readonly string[];
  /** `docker run --publish` value: "5432" becomes "5432:5432". */
  readonly port: string | undefined;
  readonly cmd: string | undefined;
  readonly env: EnvSpec;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, unknown>>;
  readonly volumes: readonly string[];
  readonly files: readonly AccessoryFile[];
  readonly directories: readonly AccessoryDirectory[];
  readonly network: string | undefined;
  readonly registry: { server: string | undefined; username: string | undefined; password: string | undefined } | undefined;
  readonly proxy: Readonly<Record<string, unknown>> | undefined;
}

/** `"3306"` → `"3306:3306"`; `"127.0.0.1:5432:5432"` and `"8080:80"` stay as given. */
export function publishArg(port: string): string {
  return port.includes(":") ? port : `${port}:${port}`;
}

/** `local:remote[:options]` as MRSK and Kamal write files and directories. */
export function splitMount(spec: string): { local: string; remote: string; options: string | undefined } {
  const [local = "", remote = "", ...rest] = spec.split(":");
  return { local, remote, options: rest.length > 0 ? rest.join(":") : undefined };
}

/**
 * Host paths built from the configuration (an uploaded file's place, a directory, a volume's
 * source) stay where they are written: relative ones inside the accessory's directory, absolute
 * ones where the user chose. A `..` segment would reach elsewhere, so it is refused.
 */
export function hasParentSegment(path: string): boolean {
  return path.split("/").includes("..");
}

/** The host paths of an accessory, each with the key it was written under. */
export function accessoryHostPaths(accessory: Accessory, at: string): Array<{ path: string; key: string }> {
  return [
    ...accessory.files.map((f, i) => ({ path: f.remote, key: `${at}.files[${i}]` })),
    ...accessory.directories.map((d, i) => ({ path: d.host, key: `${at}.directories[${i}]` })),
    ...accessory.volumes.map((v, i) => ({ path: volumeSource(v), key: `${at}.volumes[${i}]` })),
  ];
}

/** `/data:/var/lib/data:ro` → `/data`. */
export function volumeSource(volume: string): string {
  return volume.split(":")[0] ?? "";
}
