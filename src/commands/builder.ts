import type { Config } from "../config/model.js";
import { MrskError } from "../errors.js";
import { docker } from "./docker.js";
import { any, chain, combine, group, pipe, type Cmd, type Word } from "./shell.js";

// Building and pushing the image, on this machine or on a builder host. With buildx: one
// `buildx build --push` on the builder the config asks for (see `resolveBuilder`). Without buildx:
// `docker build` for this machine's platform, then `docker push`.

/** Where a buildx builder builds: this machine's Docker, a remote Docker over SSH, or both. */
export type BuilderPlace = "local" | "remote" | "hybrid";

/** The buildx builder a config asks for. */
export interface BuildxBuilder {
  /** `docker`, `docker-container` or `cloud ORG/NAME`. */
  readonly driver: string;
  readonly place: BuilderPlace;
  /** The `--builder` name. The docker driver's builder is a Docker context's own daemon. */
  readonly name: string;
  /** The Docker context over SSH that reaches `remote`. */
  readonly context: string | undefined;
  readonly remote: string | undefined;
  /** `--platform` values; empty for the docker driver without `arch`: the daemon's own platform. */
  readonly platforms: readonly string[];
  readonly localPlatforms: readonly string[];
  readonly remotePlatforms: readonly string[];
}

/** This machine's architecture as Docker names it. */
export function machineArch(nodeArch: string = process.arch): string {
  return nodeArch === "x64" ? "amd64" : nodeArch;
}

const platform = (arch: string): string => (arch.includes("/") ? arch : `linux/${arch}`);

/**
 * `builder.driver`, else Kamal's default `docker-container`. MRSK's `multiarch: false` asks for a
 * plain build for this machine: with buildx that is the docker driver, as `docker build` itself
 * does since Docker 23.
 */
function driverOf(config: Config): string {
  return config.builder.driver ?? (config.builder.multiarch ? "docker-container" : "docker");
}

function archs(config: Config): string[] {
  const b = config.builder;
  if (b.arch.length > 0) return b.arch;
  const mapped = [b.localArch, b.remoteArch].filter((a): a is string => a !== undefined);
  if (mapped.length > 0) return mapped;
  return driverOf(config) === "docker" ? [] : ["amd64", "arm64"];
}

/** Platforms for buildx: `builder.arch` (Kamal 2), MRSK's `local`/`remote` arch, else amd64 and arm64. */
export function platforms(config: Config): string[] {
  return archs(config).map(platform);
}

/** Kamal's rule: non-alphanumerics of the builder URL become dashes. */
const sanitize = (remote: string): string => remote.replace(/[^a-z0-9_-]/g, "-");

/**
 * The builder `config` asks for. `currentContext` names the Docker context whose daemon the local
 * docker driver builds with (`docker context show`). Throws for combinations no builder can do.
 */
export function resolveBuilder(config: Config, options: { hostArch?: string; currentContext?: string } = {}): BuildxBuilder {
  const b = config.builder;
  const driver = driverOf(config);
  const all = archs(config);
  if (driver === "docker" && all.length > 1) {
    throw new MrskError(`builder: the docker driver builds for one platform, but ${all.map(platform).join(", ")} were asked for`, {
      hint: "set one `builder.arch`, or use `driver: docker-container` for a multi-platform build (it runs BuildKit from the moby/buildkit image)",
    });
  }
  checkCache(config, driver);

  const { local, remote, usesRemote } = split(config, all, options.hostArch ?? machineArch());
  const place: BuilderPlace = !usesRemote ? "local" : local.length > 0 ? "hybrid" : "remote";
  const base = `mrsk-${config.service}`;
  const context = usesRemote ? `${base}-remote-${sanitize(b.remote!)}-context` : undefined;

  let name: string;
  if (driver === "docker") name = place === "local" ? (options.currentContext ?? "default") : context!;
  else if (driver.startsWith("cloud ")) name = driver.replace(/[ /]/g, "-");
  else if (place === "local") name = `${base}-multiarch`;
  else name = `${base}-${place}-${sanitize(b.remote!)}`;

  return {
    driver,
    place,
    name,
    context,
    remote: usesRemote ? b.remote : undefined,
    platforms: all.map(platform),
    localPlatforms: local.map(platform),
    remotePlatforms: remote.map(platform),
  };
}

/**
 * Which architectures build here and which on `builder.remote`, as Kamal decides: with a remote,
 * this machine builds only its own architecture (none with `local: false`); MRSK's
 * `remote: {arch, host}` builds that arch remotely and `local: {arch}` locally. The docker driver
 * without `arch` builds the daemon's own platform, remotely with `local: false`.
 */
function split(config: Config, all: string[], hostArch: string): { local: string[]; remote: string[]; usesRemote: boolean } {
  const b = config.builder;
  if (b.remote === undefined) return { local: all, remote: [], usesRemote: false };
  if (b.remoteArch !== undefined) return { local: b.localArch === undefined ? [] : [b.localArch], remote: [b.remoteArch], usesRemote: true };
  if (all.length === 0) return { local: [], remote: [], usesRemote: b.localDisabled };
  const local = b.localDisabled ? [] : all.filter((a) => a === hostArch);
  const remote = all.filter((a) => !local.includes(a));
  return { local, remote, usesRemote: remote.length > 0 };
}

/**
 * The docker driver exports a build cache only inline, into the pushed image: `cache` means that
 * there. A separate cache image, cache options or the gha cache need another driver.
 */
function checkCache(config: Config, driver: string): void {
  const cache = config.builder.cache;
  if (cache === undefined || driver !== "docker") return;
  const extra = [cache.type !== "registry" ? `type: ${cache.type}` : "", cache.image === undefined ? "" : "image", cache.options === undefined ? "" : "options"].filter(
    (s) => s !== "",
  );
  if (extra.length === 0) return;
  throw new MrskError(
    `builder.cache: the docker driver exports a build cache only inline, into the pushed image; cache ${extra.join(", ")} needs the docker-container driver`,
    { hint: "write `cache: {type: registry}` without image and options for the inline cache, or use `driver: docker-container`" },
  );
}

function cacheArgs(config: Config, builder: BuildxBuilder): Word[] {
  const cache = config.builder.cache;
  if (cache === undefined) return [];
  if (builder.driver === "docker") return ["--cache-to", "type=inline", "--cache-from", `type=registry,ref=${config.latestImage}`];
  if (cache.type === "gha") {
    const from = (cache.options ?? "").split(",").filter((o) => /^(url|url_v2|token|scope|timeout)=/.test(o));
    return ["--cache-to", ["type=gha", ...(cache.options ? [cache.options] : [])].join(","), "--cache-from", ["type=gha", ...from].join(",")];
  }
  const image = cache.image ?? `${config.image}-build-cache`;
  const ref = config.registry.server === undefined ? image : `${config.registry.server}/${image}`;
  return ["--cache-to", `type=registry,ref=${ref}${cache.options ? `,${cache.options}` : ""}`, "--cache-from", `type=registry,ref=${ref}`];
}

/** Build arguments as they are; `builder.secrets` as BuildKit secrets read from the environment. */
function buildOptions(config: Config): Word[] {
  const b = config.builder;
  return [
    "--label",
    `service=${config.service}`,
    ...Object.entries(b.args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    ...b.secrets.flatMap((s) => ["--secret", `id=${s},env=${s}`]),
    "--file",
    b.dockerfile,
    ...(b.target === undefined ? [] : ["--target", b.target]),
  ];
}

const tags = (config: Config, version: string): Word[] => ["-t", config.imageRef(version), "-t", config.latestImage];
const contextOption = (builder: BuildxBuilder): Word[] => (builder.driver === "docker" && builder.context !== undefined ? ["--context", builder.context] : []);

export function buildxPush(config: Config, builder: BuildxBuilder, version: string, options: { noCache?: boolean } = {}): Cmd {
  const b = config.builder;
  return docker(
    ...contextOption(builder),
    "buildx",
    "build",
    "--push",
    ...(builder.platforms.length > 0 ? ["--platform", builder.platforms.join(",")] : []),
    "--builder",
    builder.name,
    ...tags(config, version),
    ...cacheArgs(config, builder),
    ...buildOptions(config),
    ...(b.ssh === undefined ? [] : ["--ssh", b.ssh]),
    ...(options.noCache === true ? ["--no-cache"] : []),
    b.context,
  );
}

/**
 * `docker build` for this machine's architecture, then push both tags. The classic builder has no
 * `--secret id=…,env=…` (only buildx reads a build secret from the environment), and Docker's
 * own error for it does not say so: `builder.secrets` is refused here, before anything runs.
 */
export function buildThenPush(config: Config, version: string, options: { noCache?: boolean } = {}): Cmd {
  const secrets = config.builder.secrets;
  if (secrets.length > 0) {
    throw new MrskError(
      `builder.secrets (${secrets.join(", ")}) needs the docker buildx plugin on this machine: \`docker buildx version\` fails, and the classic \`docker build\` cannot pass build secrets from the environment`,
      { hint: "install the buildx plugin (Debian: docker-buildx; Docker's packages: docker-buildx-plugin), or build without builder.secrets" },
    );
  }
  return combine(
    docker("build", ...tags(config, version), ...buildOptions(config), ...(options.noCache === true ? ["--no-cache"] : []), config.builder.context),
    docker("push", config.imageRef(version)),
    docker("push", config.latestImage),
  );
}

// A docker-container builder pushing to a registry on this machine must share the host's network.
const driverOptions = (config: Config): Word[] => (config.registry.local ? ["--driver-opt", "network=host"] : []);

function createContext(config: Config, builder: BuildxBuilder): Cmd {
  return docker("context", "create", builder.context!, "--description", `mrsk ${config.service} builder on ${builder.remote}`, "--docker", `host=${builder.remote}`);
}

/** What `build create` runs; nothing for the docker driver on this machine (it is Docker itself). */
export function createBuilder(config: Config, builder: BuildxBuilder): Cmd | undefined {
  if (builder.driver === "docker") return builder.place === "local" ? undefined : createContext(config, builder);
  if (builder.driver.startsWith("cloud ")) return docker("buildx", "create", "--driver", builder.driver);
  if (builder.place === "local") return docker("buildx", "create", "--name", builder.name, "--driver", builder.driver, ...driverOptions(config));
  if (builder.place === "remote") {
    return combine(createContext(config, builder), docker("buildx", "create", "--name", builder.name, "--driver", builder.driver, ...driverOptions(config), builder.context!));
  }
  return combine(
    docker("buildx", "create", "--platform", builder.localPlatforms.join(","), "--name", builder.name, "--driver", builder.driver, ...driverOptions(config)),
    createContext(config, builder),
    docker("buildx", "create", "--platform", builder.remotePlatforms.join(","), "--append", "--name", builder.name, ...driverOptions(config), builder.context!),
  );
}

/** What `build remove` runs; nothing for the docker driver on this machine. */
export function removeBuilder(builder: BuildxBuilder): Cmd | undefined {
  if (builder.driver === "docker") return builder.place === "local" ? undefined : docker("context", "rm", builder.context!);
  if (builder.context === undefined) return docker("buildx", "rm", builder.name);
  return chain(docker("buildx", "rm", builder.name), docker("context", "rm", builder.context));
}

/** Starts a docker-container (or cloud) builder's BuildKit, which pulls its image the first time. */
export function bootstrapBuilder(builder: BuildxBuilder): Cmd {
  return docker("buildx", "inspect", "--bootstrap", builder.name);
}

/** The Docker host URL of the builder's SSH context; fails when the context does not exist. */
export function contextEndpoint(builder: BuildxBuilder): Cmd {
  return docker("context", "inspect", builder.context!, "--format", "{{.Endpoints.docker.Host}}");
}

/** Asks the builder host's Docker for its version over the SSH context. */
export function remoteDockerVersion(builder: BuildxBuilder): Cmd {
  return docker("--context", builder.context!, "version", "--format", "{{.Server.Version}}");
}

export function currentDockerContext(): Cmd {
  return docker("context", "show");
}

/** The builder as buildx sees it: endpoint, status, BuildKit version, platforms of each node. */
export function inspectBuilder(builder: BuildxBuilder): Cmd {
  return docker(...contextOption(builder), "buildx", "inspect", builder.name);
}

/** `build details`: Docker's contexts and buildx's builders, then the config's builder. */
export function builderDetails(builder: BuildxBuilder): Cmd {
  return chain(docker("context", "ls"), docker("buildx", "ls"), inspectBuilder(builder));
}

/** Checks after a pull that the image carries `service=<service>`, as Kamal does. */
export function validateImage(config: Config, version: string): Cmd {
  const image = config.imageRef(version);
  return any(
    pipe(docker("inspect", "-f", "{{ .Config.Labels.service }}", image), ["grep", "-qx", config.service]),
    group(combine(["echo", `Image ${image} is missing the 'service' label ${config.service}`], ["exit", "1"])),
  );
}

export function buildxAvailable(): Cmd {
  return docker("buildx", "version");
}

export function dockerAvailable(): Cmd {
  return docker("--version");
}
