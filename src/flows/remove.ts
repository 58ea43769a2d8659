import { listAppImageRefs, listServiceContainers, parseContainerRows } from "../commands/app.js";
import { PROXY_CONTAINER, certificateDirectory, proxyDirectory, reloadProxy, removeProxyEverything, siteFilePath, slotMarkerPath } from "../commands/caddy.js";
import { listContainerImages, otherServicesUsingRegistry, registryLogout } from "../commands/registry.js";
import { removePaths } from "../commands/server.js";
import { chain, cmd, type Cmd } from "../commands/shell.js";
import { docker, removeNetworkIfUnused } from "../commands/docker.js";
import { appNetwork } from "../commands/network.js";
import type { Config } from "../config/model.js";
import { proxyRunSettings } from "../config/proxy.js";
import type { Selection } from "../config/selection.js";
import { onHosts } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import { accessoryRemovalLines, removeAccessoryOn } from "./accessory-commands.js";
import { removeAppOn } from "./app-commands.js";
import { confirmPlan } from "./confirm.js";
import type { FlowContext } from "./context.js";
import { mutate, selectedRolesOn, type RemoveOptions } from "./operation.js";
import { planTraefikRemoval, removeTraefikOn, type TraefikRemovalPlan } from "./traefik-commands.js";

// `mrsk remove`: everything the service put on the hosts — its proxy where no other service needs
// it, the app's containers and images, the accessories with their directories, the registry login,
// `.mrsk/<service>[-<dest>]` (env files, audit log) and the deploy lock — after one confirmation.

export async function removeEverything(ctx: FlowContext, options: RemoveOptions): Promise<void> {
  const config = await ctx.config();
  const selection = await ctx.selection();
  const hosts = selection.hosts;
  const appHosts = hosts.filter((h) => selectedRolesOn(config, selection, h).length > 0);
  const proxyHosts = config.proxyHosts.filter((h) => hosts.includes(h));
  let traefik: TraefikRemovalPlan | undefined;
  let registryUsers: string[][] = hosts.map(() => []);

  await mutate(
    ctx,
    config,
    hosts,
    {
      command: "remove",
      skipLock: options.skipLock,
      beforeLock: async () => {
        traefik = config.proxyDriver === "traefik" ? await planTraefikRemoval(ctx, config, proxyHosts, false) : undefined;
        registryUsers = await onHosts(await ctx.transport(), hosts, async (session) => otherServicesUsingRegistry(config, (await session.run(listContainerImages())).stdout));
        await confirmPlan(ctx, await describeRemoval(ctx, config, selection, appHosts, traefik, registryUsers), options);
      },
    },
    async () => {
      const transport = await ctx.transport();
      if (traefik !== undefined && traefik.remove.length > 0) {
        ctx.output.phase(`Removing Traefik from ${traefik.remove.join(", ")}`);
        await onHosts(transport, traefik.remove, (session) => removeTraefikOn(ctx, config, session));
      }
      if (config.proxyDriver === "caddy" && proxyHosts.length > 0) {
        ctx.output.phase(`Removing the app's proxy routes from ${proxyHosts.join(", ")}`);
        await onHosts(transport, proxyHosts, (session) => removeProxyRoutesOn(ctx, config, session));
      }
      if (appHosts.length > 0) {
        ctx.output.phase(`Removing the app from ${appHosts.join(", ")}`);
        await onHosts(transport, appHosts, (session) => removeAppOn(ctx, config, session, selectedRolesOn(config, selection, session.host)));
      }
      for (const accessory of config.accessories) {
        const on = accessory.hosts.filter((h) => hosts.includes(h));
        if (on.length === 0) continue;
        ctx.output.phase(`Removing accessory ${accessory.name} from ${on.join(", ")}`);
        await onHosts(transport, on, (session) => removeAccessoryOn(ctx, config, session, accessory));
      }
      const logout = config.registry.local ? [] : hosts.filter((_, i) => registryUsers[i]!.length === 0);
      if (logout.length > 0) {
        ctx.output.phase(`Logging out of ${registryName(config)} on ${logout.join(", ")}`);
        await onHosts(transport, logout, (session) => session.run(registryLogout(config.registry)));
      }
      // Last: the steps above append to the audit log inside it. The network goes once no container uses it.
      const network = appNetwork(config);
      await onHosts(transport, hosts, (session) => session.run(chain(...(network === undefined ? [] : [removeNetworkIfUnused(network)]), removePaths([config.appDirectory]))));
    },
  );
}

async function describeRemoval(
  ctx: FlowContext,
  config: Config,
  selection: Selection,
  appHosts: readonly string[],
  traefik: TraefikRemovalPlan | undefined,
  registryUsers: readonly string[][],
): Promise<string> {
  const hosts = selection.hosts;
  const found = await onHosts(await ctx.transport(), hosts, async (session) => {
    if (!appHosts.includes(session.host)) return { containers: [] as string[], images: [] as string[] };
    const [containers, images] = await Promise.all([session.run(listServiceContainers(config)), session.run(listAppImageRefs(config))]);
    return { containers: parseContainerRows(containers.stdout).map((r) => r.name), images: lines(images.stdout) };
  });
  const perHost = hosts.map((host, i) => {
    const out = [`  ${host}:`];
    if (appHosts.includes(host)) {
      const { containers, images } = found[i]!;
      out.push(`    app containers: ${containers.length === 0 ? "none found" : containers.join(", ")}`);
      out.push(`    app images (those no other container uses): ${images.length === 0 ? "none found" : images.join(", ")}`);
    }
    const traefikLine = traefik?.lines.find((l) => l.startsWith(`  ${host}:`));
    if (traefikLine !== undefined) out.push(`    Traefik:${traefikLine.slice(host.length + 3)}`);
    if (config.proxyDriver === "caddy" && config.proxyHosts.includes(host)) {
      out.push(`    proxy routes: ${caddyFilesOf(config, host).join(", ")} (and the proxy itself if no other app's route is left)`);
    }
    for (const accessory of config.accessories.filter((a) => a.hosts.includes(host))) {
      out.push(`    accessory ${accessory.name}:`, ...accessoryRemovalLines(config, accessory).map((l) => `    ${l}`));
    }
    out.push(`    ${config.appDirectory} (env files and the audit log)`);
    if (appNetwork(config) !== undefined) out.push(`    the ${appNetwork(config)} docker network, unless another container is attached to it`);
    if (!config.registry.local) {
      const users = registryUsers[i]!;
      out.push(users.length === 0 ? `    the login to ${registryName(config)}` : `    keeps the login to ${registryName(config)} (still used by ${users.join(", ")})`);
    }
    if (host === config.primaryHost) out.push(`    the deploy lock ${config.lockDirectory}`);
    return out.join("\n");
  });
  return [`Removing ${config.serviceWithDestination} deletes:`, ...perHost].join("\n");
}

// --- the Caddy proxy: this app's site files go; the proxy goes with the last site ---

function caddyFilesOf(config: Config, host: string): string[] {
  return config.proxiedRoles.filter((r) => r.hosts.includes(host)).flatMap((r) => [siteFilePath(r), slotMarkerPath(r), certificateDirectory(r)]);
}

function remainingSites(): Cmd {
  return cmd("ls", "-1", `${proxyDirectory()}/sites`);
}

async function removeProxyRoutesOn(ctx: FlowContext, config: Config, session: HostSession): Promise<void> {
  await session.run(removePaths(caddyFilesOf(config, session.host)));
  const left = lines((await session.run(remainingSites(), { tolerate: true })).stdout).filter((f) => f.endsWith(".caddy"));
  if (left.length > 0) {
    ctx.output.info(`Kept the proxy: it serves ${left.join(", ")}`, session.host);
    const reloaded = await session.run(reloadProxy(), { tolerate: true });
    if (reloaded.exitCode !== 0) ctx.output.warn(`Could not reload ${PROXY_CONTAINER}: ${reloaded.stderr.trim().split("\n").pop()}`, session.host);
    return;
  }
  ctx.output.info("Removing the proxy: no other app's route is left", session.host);
  await session.run(removeProxyEverything());
  await session.run(docker("image", "rm", proxyRunSettings(config).image), { tolerate: true });
}

function registryName(config: Config): string {
  return config.registry.server ?? "Docker Hub";
}

function lines(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}
