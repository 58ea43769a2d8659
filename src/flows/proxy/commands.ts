import {
  PROXY_CONTAINER,
  followProxyLogs,
  parseProxyHostState,
  prepareProxyHost,
  proxyDetails,
  proxyLogs,
  removeProxyEverything,
  restartProxy,
  runProxy,
  startProxy,
  stopProxy,
} from "../../commands/caddy.js";
import { recordAudit } from "../../commands/audit.js";
import { docker } from "../../commands/docker.js";
import { chain, combine, silence, type Cmd } from "../../commands/shell.js";
import type { LogOptions } from "../../commands/app.js";
import type { Config } from "../../config/model.js";
import { LineBuffer } from "../../transport/command-report.js";
import { proxyRunSettings } from "../../config/proxy.js";
import { MrskError } from "../../errors.js";
import { onHosts } from "../../transport/fanout.js";
import { auditTags } from "../audit.js";
import type { FlowContext } from "../context.js";
import { runHook } from "../hooks.js";
import { mutate, queryEverywhere, type LockChoice } from "../operation.js";
import { caddyDriver } from "./caddy.js";

// `mrsk proxy …`: the shared Caddy proxy on the hosts of the proxied roles.

async function proxyTarget(ctx: FlowContext): Promise<{ config: Config; hosts: string[] }> {
  const config = await ctx.config();
  if (config.proxyDriver !== "caddy") {
    throw new MrskError("This configuration uses Traefik (MRSK's proxy), not the Caddy proxy of a `proxy:` section", { hint: "use `mrsk traefik …` for it" });
  }
  const { hosts: selected } = await ctx.selection();
  const hosts = config.proxyHosts.filter((h) => selected.includes(h));
  if (hosts.length === 0) throw new MrskError("No selected host runs the proxy", { hint: "the proxy runs on the hosts of proxied roles" });
  return { config, hosts };
}

/** Runs one command on every proxy host under the deploy lock, recording `message` in the audit log. */
async function everyProxyHost(ctx: FlowContext, command: string, message: string, step: Cmd, options: LockChoice): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  await mutate(ctx, config, hosts, { command, skipLock: options.skipLock }, async () => {
    const tags = auditTags(ctx, config);
    await onHosts(await ctx.transport(), hosts, (session) => session.run(combine(recordAudit(config, tags, message), step)));
  });
}

export async function bootProxyCommand(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  await mutate(ctx, config, hosts, { command: "proxy boot", skipLock: options.skipLock }, () => caddyDriver.ensureRunning(ctx, config, hosts));
}

/** Replaces the proxy container (new image or run settings); one host at a time with `rolling`. */
export async function rebootProxyCommand(ctx: FlowContext, options: LockChoice & { rolling?: boolean } = {}): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  const replace = chain(silence(docker("container", "rm", "--force", PROXY_CONTAINER)), runProxy(proxyRunSettings(config)));
  await mutate(ctx, config, hosts, { command: "proxy reboot", skipLock: options.skipLock }, async () => {
    const transport = await ctx.transport();
    for (const group of options.rolling === true ? hosts.map((h) => [h]) : [hosts]) {
      await runHook(ctx, config, "pre-proxy-reboot", { command: "proxy", subcommand: "reboot", hosts: group });
      ctx.output.phase(`Rebooting the proxy on ${group.join(", ")}`);
      const tags = auditTags(ctx, config);
      await onHosts(transport, group, (session) => session.run(combine(recordAudit(config, tags, "Rebooted proxy"), replace)));
      await runHook(ctx, config, "post-proxy-reboot", { command: "proxy", subcommand: "reboot", hosts: group });
    }
  });
}

export const startProxyCommand = (ctx: FlowContext, options: LockChoice = {}): Promise<void> =>
  everyProxyHost(ctx, "proxy start", "Started proxy", startProxy(), options);
export const stopProxyCommand = (ctx: FlowContext, options: LockChoice = {}): Promise<void> =>
  everyProxyHost(ctx, "proxy stop", "Stopped proxy", stopProxy(), options);
export const restartProxyCommand = (ctx: FlowContext, options: LockChoice = {}): Promise<void> =>
  everyProxyHost(ctx, "proxy restart", "Restarted proxy", restartProxy(), options);

/** Removes the proxy; refused while another service still has sites on a host, unless `force`. */
export async function removeProxyCommand(ctx: FlowContext, options: LockChoice & { force?: boolean } = {}): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  await mutate(ctx, config, hosts, { command: "proxy remove", skipLock: options.skipLock }, async () => {
    const transport = await ctx.transport();
    if (options.force !== true) {
      const states = await onHosts(transport, hosts, async (s) => parseProxyHostState((await s.run(prepareProxyHost())).stdout));
      const others = hosts.flatMap((host, i) =>
        [...states[i]!.sites.values()]
          .filter((site) => site.service !== config.service || (site.destination ?? "") !== (config.destination ?? ""))
          .map((site) => `${host}: ${site.service} (${site.role}${site.destination ? `, ${site.destination}` : ""})`),
      );
      if (others.length > 0) {
        throw new MrskError(`Other apps still route through the proxy:\n${others.map((o) => `    ${o}`).join("\n")}`, {
          hint: "remove them first, or pass --force to remove the proxy anyway (their sites go down)",
        });
      }
    }
    const tags = auditTags(ctx, config);
    await onHosts(transport, hosts, (session) => session.run(combine(recordAudit(config, tags, "Removed proxy"), removeProxyEverything())));
  });
}

/** The proxy container on each host; unreachable hosts are named, the others answer. */
export async function proxyDetailsCommand(ctx: FlowContext): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  await queryEverywhere(ctx, config, hosts, "proxy details", async (s) => [{ text: (await s.run(proxyDetails())).stdout || "no proxy container" }]);
}

/** The proxy's log per host; with `follow`, new lines from the first proxy host until Ctrl-C. */
export async function proxyLogsCommand(ctx: FlowContext, options: LogOptions): Promise<void> {
  const { config, hosts } = await proxyTarget(ctx);
  if (options.follow === true) {
    const session = await (await ctx.transport()).session(hosts[0]!);
    const lines = new LineBuffer();
    const show = (texts: string[]): void => texts.forEach((text) => ctx.output.result(text, { host: session.host }));
    await session.stream(followProxyLogs(options.grep), { onStdout: (chunk) => show(lines.push(chunk)), signal: ctx.signal });
    show(lines.flush());
    return;
  }
  await queryEverywhere(ctx, config, hosts, "proxy logs", async (s) => [{ text: (await s.run(proxyLogs(options), { tolerate: true })).stdout }]);
}
