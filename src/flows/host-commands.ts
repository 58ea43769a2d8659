import { MrskError } from "../errors.js";
import { bootstrapServers } from "./bootstrap.js";
import type { FlowContext } from "./context.js";
import { loginEverywhere, logoutEverywhere } from "./image.js";
import { connectAll, mutate, selectedAppHosts, type LockChoice } from "./operation.js";
import { pruneEverywhere } from "./prune.js";

// `prune`, `server bootstrap` and `registry login|logout`: housekeeping on the selected hosts.

export type PruneScope = "all" | "images" | "containers";

/** Removes stopped containers beyond `retain_containers` and images no container uses. */
export async function prune(ctx: FlowContext, scope: PruneScope, options: LockChoice = {}): Promise<void> {
  const config = await ctx.config();
  const hosts = selectedAppHosts(config, await ctx.selection());
  await mutate(ctx, config, hosts, { command: `prune ${scope}`, skipLock: options.skipLock }, () =>
    pruneEverywhere(ctx, config, hosts, { containers: scope !== "images", images: scope !== "containers" }),
  );
}

/** Installs Docker where it is missing. */
export async function bootstrap(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  const config = await ctx.config();
  const { hosts } = await ctx.selection();
  await mutate(ctx, config, hosts, { command: "server bootstrap", skipLock: options.skipLock }, () => bootstrapServers(ctx, config, hosts));
}

export interface RegistryLoginOptions {
  /** Not on this machine. */
  skipLocal?: boolean | undefined;
  /** Not on the hosts. */
  skipRemote?: boolean | undefined;
}

export async function registryLogin(ctx: FlowContext, options: RegistryLoginOptions = {}): Promise<void> {
  const config = await ctx.config();
  const registry = config.registry;
  if (registry.local) {
    ctx.output.info(`The registry runs on this machine (${registry.server}): there is nothing to log in to`);
    return;
  }
  if (registry.username === undefined || registry.password === undefined) {
    throw new MrskError("registry.username and registry.password are not both set: there is nothing to log in with");
  }
  const hosts = options.skipRemote === true ? [] : (await ctx.selection()).hosts;
  if (hosts.length > 0) await connectAll(ctx, hosts);
  await loginEverywhere(ctx, config, hosts, { local: options.skipLocal !== true });
}

export async function registryLogout(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  if (config.registry.local) {
    ctx.output.info(`The registry runs on this machine (${config.registry.server}): there is nothing to log out of`);
    return;
  }
  const { hosts } = await ctx.selection();
  await connectAll(ctx, hosts);
  ctx.output.phase(`Logging out of ${config.registry.server ?? "Docker Hub"} on ${hosts.join(", ")}`);
  await logoutEverywhere(ctx, config, hosts);
}
