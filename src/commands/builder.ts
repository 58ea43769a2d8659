import type { Config } from "../config/model.js";
import { docker } from "./docker.js";
import { combine, type Cmd, type Word } from "./shell.js";

// Building and pushing the image, on this machine. With buildx: one `buildx build --push` for the
// configured platforms. Without it (or with `multiarch: false`): `docker build`, then `docker push`.

export function builderName(config: Config): string {
  return `mrsk-${config.service}-${config.builder.remote === undefined ? "multiarch" : "multiarch-remote"}`;
}

/** Platforms for buildx: `builder.arch` (Kamal 2), else both of MRSK's multiarch defaults. */
export function platforms(config: Config): string[] {
  const archs = config.builder.arch.length > 0 ? config.builder.arch : [config.builder.localArch, config.builder.remoteArch].filter((a): a is string => a !== undefined);
  const list = archs.length > 0 ? archs : ["amd64", "arm64"];
  return list.map((a) => (a.includes("/") ? a : `linux/${a}`));
}

function commonBuildArgs(config: Config, version: string): Word[] {
  const b = config.builder;
  return [
    "-t",
    config.imageRef(version),
    "-t",
    config.latestImage,
    "--label",
    `service=${config.service}`,
    ...Object.entries(b.args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    ...b.secrets.flatMap((s) => ["--secret", `id=${s}`]),
    "--file",
    b.dockerfile,
    ...(b.target === undefined ? [] : ["--target", b.target]),
  ];
}

export function buildxPush(config: Config, version: string): Cmd {
  const b = config.builder;
  const cache = b.cache;
  return docker(
    "buildx",
    "build",
    "--push",
    "--platform",
    platforms(config).join(","),
    "--builder",
    builderName(config),
    ...commonBuildArgs(config, version),
    ...(cache === undefined ? [] : cacheArgs(config, cache)),
    ...(b.ssh === undefined ? [] : ["--ssh", b.ssh]),
    b.context,
  );
}

function cacheArgs(config: Config, cache: NonNullable<Config["builder"]["cache"]>): Word[] {
  if (cache.type === "gha") return ["--cache-to", `type=gha${cache.options ? `,${cache.options}` : ""}`, "--cache-from", "type=gha"];
  const image = cache.image ?? `${config.image}-build-cache`;
  const ref = config.registry.server === undefined ? image : `${config.registry.server}/${image}`;
  return ["--cache-to", `type=registry,ref=${ref}${cache.options ? `,${cache.options}` : ""}`, "--cache-from", `type=registry,ref=${ref}`];
}

export function createBuildxBuilder(config: Config): Cmd {
  return docker("buildx", "create", "--use", "--name", builderName(config));
}

/** `docker build` for this machine's architecture, then push both tags. */
export function buildThenPush(config: Config, version: string): Cmd {
  return combine(
    docker("build", ...commonBuildArgs(config, version), config.builder.context),
    docker("push", config.imageRef(version)),
    docker("push", config.latestImage),
  );
}

export function buildxAvailable(): Cmd {
  return docker("buildx", "version");
}

export function dockerAvailable(): Cmd {
  return docker("--version");
}

export function removeBuildxBuilder(config: Config): Cmd {
  return docker("buildx", "rm", builderName(config));
}

export function buildxDetails(config: Config): Cmd {
  return combine(docker("buildx", "ls"), docker("buildx", "inspect", builderName(config)));
}
