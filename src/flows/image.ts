import { pullImage } from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import { buildThenPush, buildxAvailable, buildxPush, createBuildxBuilder, dockerAvailable } from "../commands/builder.js";
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

export async function buildAndPush(ctx: FlowContext, config: Config, version: string, hosts: readonly string[]): Promise<void> {
  const local = await ctx.local();
  const docker = await local.run(dockerAvailable(), { tolerate: true });
  if (docker.exitCode !== 0) throw new MrskError("Docker is not installed on this machine", { hint: "install Docker to build images, or deploy an image already pushed with --skip-push" });
  await runHook(ctx, config, "pre-build", { command: "build", subcommand: "push", hosts, version });

  const useBuildx = config.builder.multiarch && (await local.run(buildxAvailable(), { tolerate: true })).exitCode === 0;
  if (config.builder.multiarch && !useBuildx) {
    ctx.output.warn("docker buildx is not available: building for this machine's architecture with docker build");
  }
  ctx.output.phase(`Building ${config.imageRef(version)}`);
  const env = buildSecretsEnv(config);
  if (!useBuildx) {
    await local.run(buildThenPush(config, version), { echo: true, env, cwd: ctx.cwd });
    return;
  }
  const first = await local.run(buildxPush(config, version), { echo: true, tolerate: true, env, cwd: ctx.cwd });
  if (first.exitCode === 0) return;
  if (!/no builder|not found|does not exist/i.test(first.stderr)) throw new RemoteCommandError({ ...first, command: first.line });
  // The named builder does not exist yet: create it once, as MRSK does, and build again.
  await local.run(createBuildxBuilder(config));
  await local.run(buildxPush(config, version), { echo: true, env, cwd: ctx.cwd });
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

export async function pullEverywhere(ctx: FlowContext, config: Config, version: string, hosts: readonly string[]): Promise<void> {
  ctx.output.phase(`Pulling ${config.imageRef(version)} on ${hosts.join(", ")}`);
  const tags = auditTags(ctx, config);
  await onHosts(await ctx.transport(), hosts, (session) =>
    throughLocalRegistry(config, session, () =>
      session.run(combine(recordAudit(config, tags, `Pulled image with version ${version}`), pullImage(config, version))),
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
