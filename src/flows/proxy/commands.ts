import {
  followProxyLogs,
  proxyDetails,
  proxyLogs,
  removeProxyEverything,
  restartProxy,
  runProxy,
  startProxy,
  stopProxy,
  parseProxyHostState,
  prepareProxyHost,
  PROXY_CONTAINER,
} from "../../commands/caddy.js";
import { recordAudit } from "../../commands/audit.js";
import { chain, combine, silence } from "../../commands/shell.js";
import { docker } from "../../commands/docker.js";
import type { Config } from "../../config/model.js";
import { proxyRunSettings } from "../../config/proxy.js";
import { MrskError } from "../../errors.js";
import { onHosts, onHostsSettled } from "../../transport/fanout.js";
import type { HostSession } from "../../transport/types.js";
import { auditTags } from "../audit.js";
import type { FlowContext } from "../context.js";
import { connectAll } from "../deploy.js";
import { runHook } from "../hooks.js";
import { withLock } from "../with-lock.js";
import { caddyDriver } from "./caddy.js";

// `mrsk proxy …`: the shared Caddy proxy on the hosts of the proxied roles.

async function proxyTarget(ctx: FlowContext): Promise<{ config: Config; hosts: string[] }> {
  const config = await ctx.config();
  if (config.proxyDriver !== "caddy") {
    throw new MrskError("This configuration uses Traefik (a `traefik:` section), not the Caddy proxy", { hint: "use `mrsk traefik …` for it" });
  }
  const { hosts: selected } = await ctx.selection();
  const hosts = config.proxyHosts.filter((h) => selected.includes(h));
  if (hosts.length === 0) throw new MrskError("No selected host runs the proxy", { hint: "the proxy runs on the hosts of proxied roles" });
  return { config, hosts };
}

/** Runs `step` on every proxy host under the deploy lock, after reaching them all. */
async function onProxyHosts(ctx: FlowContext, message: string, step: (session: HostSession, config: Config) => Promise<unknown>): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  await connectAll(ctx, hosts);
  await withLock(ctx, config, { version: "proxy", message }, async () => {
    const tags = auditTags(ctx, config);
    await onHosts(await ctx.transport(), hosts, async (session) => {
      await step(session, config);
      await session.run(recordAudit(config, tags, message));
    });
  });
}

export async function bootProxyCommand(ctx: FlowContext): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  await connectAll(ctx, hosts);
  await withLock(ctx, config, { version: "proxy", message: "Booted proxy" }, () => caddyDriver.ensureRunning(ctx, config, hosts));
}

/** Replaces the proxy container (new image or run settings); one host at a time with `rolling`. */
export async function rebootProxyCommand(ctx: FlowContext, rolling: boolean): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  await connectAll(ctx, hosts);
  const run = proxyRunSettings(config);
  await withLock(ctx, config, { version: "proxy", message: "Rebooted proxy" }, async () => {
    const transport = await ctx.transport();
    const groups = rolling ? hosts.map((h) => [h]) : [hosts];
    for (const group of groups) {
      await runHook(ctx, config, "pre-proxy-reboot", { command: "proxy", subcommand: "reboot", hosts: group });
      ctx.output.phase(`Rebooting the proxy on ${group.join(", ")}`);
      await onHosts(transport, group, (session) =>
        session.run(combine(recordAudit(config, auditTags(ctx, config), "Rebooted proxy"), chain(silence(docker("container", "rm", "--force", PROXY_CONTAINER)), runProxy(run)))),
      );
      await runHook(ctx, config, "post-proxy-reboot", { command: "proxy", subcommand: "reboot", hosts: group });
    }
  });
}

export const startProxyCommand = (ctx: FlowContext): Promise<void> => onProxyHosts(ctx, "Started proxy", (s) => s.run(startProxy()));
export const stopProxyCommand = (ctx: FlowContext): Promise<void> => onProxyHosts(ctx, "Stopped proxy", (s) => s.run(stopProxy()));
export const restartProxyCommand = (ctx: FlowContext): Promise<void> => onProxyHosts(ctx, "Restarted proxy", (s) => s.run(restartProxy()));

/** Removes the proxy; refused on a host where another service still has routes, unless `force`. */
export async function removeProxyCommand(ctx: FlowContext, force: boolean): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  await connectAll(ctx, hosts);
  const transport = await ctx.transport();
  if (!force) {
    const states = await onHosts(transport, hosts, async (s) => parseProxyHostState((await s.run(prepareProxyHost())).stdout));
    const others = hosts.flatMap((host, i) =>
      [...states[i]!.sites.values()].filter((site) => site.service !== config.service).map((site) => `${host}: ${site.service} (${site.role})`),
    );
    if (others.length > 0) {
      throw new MrskError(`Other services still route through the proxy:\n${others.map((o) => `    ${o}`).join("\n")}`, {
        hint: "remove them first, or pass --force to remove the proxy anyway (their sites go down)",
      });
    }
  }
  await onProxyHosts(ctx, "Removed proxy", (s) => s.run(removeProxyEverything()));
}

/** The proxy container on each host; unreachable hosts are named, the others answer. */
export async function proxyDetailsCommand(ctx: FlowContext): Promise<void> {
  const { hosts } = await proxyTarget(ctx);
  for (const outcome of await onHostsSettled(await ctx.transport(), hosts, (s) => s.run(proxyDetails()))) {
    if (outcome.ok) ctx.output.result(outcome.value.stdout.trimEnd() || "no proxy container", { host: outcome.host });
    else ctx.output.emit({ type: "error", message: outcome.error.message, host: outcome.host });
  }
}

export async function proxyLogsCommand(ctx: FlowContext, options: { lines?: number; since?: string; grep?: string; follow?: boolean }): Promise<void> {
  const { hosts } = await proxyTarget(ctx);
  const transport = await ctx.transport();
  if (options.follow === true) {
    const session = await transport.session(hosts[0]!);
    await session.stream(followProxyLogs(options.grep), {
      onStdout: (chunk) => ctx.output.emit({ type: "output", host: session.host, stream: "stdout", text: chunk.toString() }),
      signal: ctx.signal,
    });
    return;
  }
  for (const outcome of await onHostsSettled(transport, hosts, (s) => s.run(proxyLogs(options), { tolerate: true }))) {
    if (outcome.ok) ctx.output.result(outcome.value.stdout.trimEnd(), { host: outcome.host });
    else ctx.output.emit({ type: "error", message: outcome.error.message, host: outcome.host });
  }
}
