import { pullImage } from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import {
  bootstrapBuilder,
  buildThenPush,
  buildxAvailable,
  buildxPush,
  contextEndpoint,
  createBuilder,
  currentDockerContext,
  dockerAvailable,
  remoteDockerVersion,
  removeBuilder,
  resolveBuilder,
  validateImage,
  type BuildxBuilder,
} from "../commands/builder.js";
import { registryLogin, registryLogout } from "../commands/registry.js";
import { combine } from "../commands/shell.js";
import type { Config } from "../config/model.js";
import { MrskError, RemoteCommandError } from "../errors.js";
import { onHosts } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import { auditTags } from "./audit.js";
import type { FlowContext } from "./context.js";
import { runHook } from "./hooks.js";

// The image's way to the hosts: registry login, build and push on this machine, pull on each host
// (through an SSH tunnel when the registry runs on this machine).

export async function loginEverywhere(ctx: FlowContext, config: Config, hosts: readonly string[], options: { local: boolean }): Promise<void> {
  if (config.registry.local) return;
  const registry = config.registry;
  if (registry.username === undefined || registry.password === undefined) return;
  ctx.output.phase(`Logging in to ${registry.server ?? "Docker Hub"}`);
  const login = async (session: HostSession): Promise<void> => {
    const result = await session.run(registryLogin(registry), { stdin: registry.password!, tolerate: true });
    if (result.exitCode !== 0) {
      throw new MrskError(`Registry login to ${registry.server ?? "Docker Hub"} as ${registry.username} failed on ${session.host}: ${result.stderr.trim()}`, {
        hint: "check registry.username and the password secret; with a token, check its scopes",
      });
    }
  };
  await Promise.all([options.local ? ctx.local().then(login) : Promise.resolve(), onHosts(await ctx.transport(), hosts, login)]);
}

export async function logoutEverywhere(ctx: FlowContext, config: Config, hosts: readonly string[]): Promise<void> {
  if (config.registry.local) return;
  await onHosts(await ctx.transport(), hosts, (session) => session.run(registryLogout(config.registry)));
}

export interface BuildOptions {
  /** `--no-cache`: build every step again. */
  noCache?: boolean;
}

export async function buildAndPush(ctx: FlowContext, config: Config, version: string, hosts: readonly string[], options: BuildOptions = {}): Promise<void> {
  const local = await ctx.local();
  const docker = await local.run(dockerAvailable(), { tolerate: true });
  if (docker.exitCode !== 0) throw new MrskError("Docker is not installed on this machine", { hint: "install Docker to build images, or deploy an image already pushed with --skip-push" });
  await runHook(ctx, config, "pre-build", { command: "build", subcommand: "push", hosts, version });

  const useBuildx = (await local.run(buildxAvailable(), { tolerate: true })).exitCode === 0;
  const env = buildSecretsEnv(config);
  if (!useBuildx) {
    const build = buildThenPush(config, version, options);
    const wanted = resolveBuilder(config);
    if (wanted.driver !== "docker" || wanted.remote !== undefined || wanted.platforms.length > 1) {
      if (config.builder.remote !== undefined) {
        throw new MrskError(`builder.remote (${config.builder.remote}) needs the docker buildx plugin on this machine, and \`docker buildx version\` fails`, {
          hint: "install the buildx plugin (Debian: docker-buildx; Docker's packages: docker-buildx-plugin)",
        });
      }
      ctx.output.warn("docker buildx is not available: building for this machine's architecture with docker build");
    }
    ctx.output.phase(`Building ${config.imageRef(version)}`);
    await local.run(build, { echo: true, env, cwd: ctx.cwd });
    return;
  }

  const builder = await readyBuilder(ctx, config);
  ctx.output.phase(`Building ${config.imageRef(version)} with the ${builder.driver} builder ${builder.name}${builder.remote === undefined ? "" : ` on ${builder.remote}`}`);
  // As Kamal: a remote BuildKit fetches registry tokens itself instead of asking this client.
  const buildEnv = builder.remote === undefined ? env : { ...env, BUILDKIT_NO_CLIENT_TOKEN: "1" };
  const build = await local.run(buildxPush(config, builder, version, options), { echo: true, tolerate: true, env: buildEnv, cwd: ctx.cwd });
  if (build.exitCode === 0) return;
  if (builder.remote !== undefined) await checkRemoteReachable(local, builder);
  throw new RemoteCommandError({ ...build, command: build.line });
}

/** The config's builder, created (or its SSH context fixed) when missing, and its BuildKit started. */
export async function readyBuilder(ctx: FlowContext, config: Config): Promise<BuildxBuilder> {
  const local = await ctx.local();
  const builder = await configuredBuilder(ctx, config);
  if (builder.driver === "docker") {
    if (builder.place !== "local") await ensureContext(local, config, builder);
    return builder;
  }
  const first = await local.run(bootstrapBuilder(builder), { tolerate: true });
  if (first.exitCode === 0) return builder;
  if (!MISSING_BUILDER.test(first.stderr + first.stdout)) throw buildkitFailure(builder, first.stderr || first.stdout);
  ctx.output.info(`Creating the ${builder.driver} builder ${builder.name}`);
  if (builder.context !== undefined) await local.run(removeBuilder(builder)!, { tolerate: true });
  await local.run(createBuilder(config, builder)!, { echo: true });
  const second = await local.run(bootstrapBuilder(builder), { tolerate: true });
  if (second.exitCode === 0) return builder;
  // Nothing half-done: the builder that cannot start is removed again.
  await local.run(removeBuilder(builder)!, { tolerate: true });
  throw buildkitFailure(builder, second.stderr || second.stdout);
}

/** The config's builder; for the local docker driver, the current Docker context's daemon. */
export async function configuredBuilder(ctx: FlowContext, config: Config): Promise<BuildxBuilder> {
  const probe = resolveBuilder(config);
  if (probe.driver !== "docker" || probe.place !== "local") return probe;
  const current = await (await ctx.local()).run(currentDockerContext(), { tolerate: true });
  const name = current.exitCode === 0 ? current.stdout.trim() : "";
  return resolveBuilder(config, { currentContext: name === "" ? "default" : name });
}

const MISSING_BUILDER = /no builder .*found|does not exist|context .*not found/i;

// What bootstrap prints when it cannot pull the BuildKit image: the image's name in its progress
// (`pulling image moby/buildkit:…`), or the daemon failing to reach Docker Hub, where it lives.
const BUILDKIT_IMAGE_PULL = /moby\/buildkit|registry-1\.docker\.io/;

/**
 * Why the builder did not start. Only output that shows the moby/buildkit image (what
 * `--bootstrap` pulls for the docker-container driver) is blamed on that image; anything else (an
 * SSH builder host that does not answer, a cloud builder without a login) is Docker's own output.
 */
function buildkitFailure(builder: BuildxBuilder, output: string): MrskError {
  const lines = output.trim().split("\n");
  const where = builder.remote === undefined ? "" : ` (on ${builder.remote})`;
  if (!BUILDKIT_IMAGE_PULL.test(output)) {
    const reason = output.trim() === "" ? "docker printed nothing" : lines.map((l) => l.replace(/^ERROR:\s*/, "")).join("\n");
    return new MrskError(`The ${builder.driver} builder ${builder.name}${where} could not start: ${reason}`, {
      hint:
        builder.remote !== undefined
          ? `\`docker -H ${builder.remote} version\` must work from this machine without a prompt`
          : builder.driver.startsWith("cloud ")
            ? "cloud builders need `docker login` to Docker Hub with access to that builder"
            : `\`docker buildx inspect --bootstrap ${builder.name}\` shows the same error`,
    });
  }
  const reason = lines.filter((l) => /error/i.test(l)).at(-1) ?? lines.at(-1) ?? "";
  const what =
    builder.platforms.length > 1
      ? `Building for ${builder.platforms.join(" and ")} needs the ${builder.driver} driver, which runs BuildKit in a container from the moby/buildkit image`
      : `The ${builder.driver} driver runs BuildKit in a container from the moby/buildkit image`;
  return new MrskError(`${what}, and the builder ${builder.name}${where} could not start it: ${reason.replace(/^(#\d+ )?ERROR:\s*/, "")}`, {
    hint:
      "where that image cannot be pulled, either build for one platform with Docker's own BuildKit " +
      "(`builder: {multiarch: false}` in an MRSK config, `builder: {arch: amd64, driver: docker}` in a Kamal 2 one), " +
      "or build on a remote builder of the target architecture (`builder: {arch: arm64, driver: docker, remote: ssh://user@arm64-host, local: false}`)",
  });
}

/** The SSH context to the builder host exists and points at `builder.remote`. */
async function ensureContext(local: HostSession, config: Config, builder: BuildxBuilder): Promise<void> {
  const endpoint = await local.run(contextEndpoint(builder), { tolerate: true });
  if (endpoint.exitCode === 0 && endpoint.stdout.trim() === builder.remote) return;
  if (endpoint.exitCode === 0) await local.run(removeBuilder(builder)!);
  await local.run(createBuilder(config, builder)!);
}

/** After a failed remote build: when the builder host's Docker does not answer, say so and what to check. */
async function checkRemoteReachable(local: HostSession, builder: BuildxBuilder): Promise<void> {
  const version = await local.run(remoteDockerVersion(builder), { tolerate: true });
  if (version.exitCode === 0) return;
  const host = builder.remote!;
  throw new MrskError(`Cannot reach Docker on the builder host ${host}: ${version.stderr.trim().split("\n").at(-1) ?? ""}`, {
    hint:
      `check that \`ssh ${host.replace(/^ssh:\/\//, "")} docker version\` works from this machine without a prompt: ` +
      "Docker connects with the system ssh client (your ~/.ssh/config, keys or ssh-agent, known_hosts), and that user must be allowed to run docker there",
  });
}

/** `builder.secrets` are read by docker from the environment of the build. */
function buildSecretsEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const name of config.builder.secrets) {
    const value = config.secrets.get(name);
    if (value === undefined) throw new MrskError(`Build secret ${name} is not set; searched ${config.secrets.describeSearched()}`);
    env[name] = value;
  }
  return env;
}

/**
 * Pulls the version on every host. `checkLabel` (an image this run built): each host then checks
 * that the image carries `service=<service>`, as Kamal does. An image built elsewhere (`-P`,
 * `build pull`) may be another service's, and is taken as it is.
 */
export async function pullEverywhere(ctx: FlowContext, config: Config, version: string, hosts: readonly string[], options: { checkLabel: boolean }): Promise<void> {
  ctx.output.phase(`Pulling ${config.imageRef(version)} on ${hosts.join(", ")}`);
  const tags = auditTags(ctx, config);
  await onHosts(await ctx.transport(), hosts, (session) =>
    throughLocalRegistry(config, session, () =>
      session.run(
        combine(
          recordAudit(config, tags, `Pulled image with version ${version}`),
          pullImage(config, version),
          ...(options.checkLabel ? [validateImage(config, version)] : []),
        ),
      ),
    ),
  );
}

/** With `registry.server: localhost:PORT`, the host reaches this machine's registry through a reverse tunnel. */
async function throughLocalRegistry<T>(config: Config, session: HostSession, work: () => Promise<T>): Promise<T> {
  if (!config.registry.local) return work();
  const port = Number(config.registry.server!.split(":")[1] ?? 80);
  const close = await session.forwardRemotePort(port, "127.0.0.1", port);
  try {
    return await work();
  } finally {
    await close();
  }
}
