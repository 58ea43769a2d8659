import { mergeEnv, type EnvSpec } from "./env.js";
import type { HostEntry } from "./hosts.js";

// One role of the app (web, workers, …): which hosts run it and how its containers are made.
// Every derived name lives here or on Config, computed in one place.

export interface HealthcheckSettings {
  path: string;
  port: number;
  maxAttempts: number;
  interval: string;
  /** A shell command for Docker's HEALTHCHECK; replaces the default probe of `path` on `port`. */
  cmd: string | undefined;
  /** How many log lines to show when a container does not become healthy. */
  logLines: number;
}

export interface RoleSettings {
  name: string;
  hostEntries: readonly HostEntry[];
  cmd: string | undefined;
  env: EnvSpec;
  labels: Readonly<Record<string, string>>;
  options: Readonly<Record<string, unknown>>;
  logging: { driver: string | undefined; options: Readonly<Record<string, string>> };
  /** Whether the role's containers are behind the host's proxy (Traefik or Caddy). */
  proxied: boolean;
  /** The Docker health check of this role's containers, if any. */
  healthcheck: HealthcheckSettings | undefined;
  /** Raw role-level `proxy:` mapping (merged over the root one by the proxy driver). */
  proxy: Readonly<Record<string, unknown>> | undefined;
  stopTimeout: number | undefined;
  assetPath: string | undefined;
}

export interface RoleNaming {
  service: string;
  destination: string | undefined;
  /** Env from `env.tags` for a tag, if any. */
  tagEnv: (tag: string) => EnvSpec | undefined;
}

export class Role {
  readonly name: string;
  readonly hosts: readonly string[];
  readonly cmd: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, unknown>>;
  readonly logging: RoleSettings["logging"];
  readonly proxied: boolean;
  readonly healthcheck: HealthcheckSettings | undefined;
  readonly proxy: RoleSettings["proxy"];
  readonly stopTimeout: number | undefined;
  readonly assetPath: string | undefined;
  private readonly hostEntries: readonly HostEntry[];
  private readonly baseEnv: EnvSpec;

  constructor(
    settings: RoleSettings,
    private readonly naming: RoleNaming,
  ) {
    this.name = settings.name;
    this.hostEntries = settings.hostEntries;
    this.hosts = [...new Set(settings.hostEntries.map((h) => h.host))];
    this.cmd = settings.cmd;
    this.baseEnv = settings.env;
    this.labels = settings.labels;
    this.options = settings.options;
    this.logging = settings.logging;
    this.proxied = settings.proxied;
    this.healthcheck = settings.healthcheck;
    this.proxy = settings.proxy;
    this.stopTimeout = settings.stopTimeout;
    this.assetPath = settings.assetPath;
  }

  /** `<service>-<role>[-<dest>]`: the prefix of every container name of this role. */
  get containerPrefix(): string {
    return [this.naming.service, this.name, this.naming.destination].filter((p) => p !== undefined).join("-");
  }

  containerName(version: string): string {
    return `${this.containerPrefix}-${version}`;
  }

  /** The version a container name of this role carries, or undefined for another role's name. */
  versionOf(containerName: string): string | undefined {
    const prefix = `${this.containerPrefix}-`;
    return containerName.startsWith(prefix) ? containerName.slice(prefix.length) : undefined;
  }

  tagsOf(host: string): readonly string[] {
    return this.hostEntries.filter((h) => h.host === host).flatMap((h) => h.tags);
  }

  /** Root env, then role env, then the env of each tag the host carries. */
  env(host: string): EnvSpec {
    const tagged = this.tagsOf(host)
      .map((t) => this.naming.tagEnv(t))
      .filter((e): e is EnvSpec => e !== undefined);
    return mergeEnv(this.baseEnv, ...tagged);
  }

  /** Labels that identify the role's containers, then the user's labels. */
  get labelPairs(): ReadonlyArray<readonly [string, string]> {
    return [
      ["service", this.naming.service],
      ["role", this.name],
      ["destination", this.naming.destination ?? ""],
      ...Object.entries(this.labels),
    ];
  }
}
