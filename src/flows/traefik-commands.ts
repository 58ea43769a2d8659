import { ensureDirectory, namedContainerDetails, type LogOptions } from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import { removePaths } from "../commands/server.js";
import { combine, type Cmd } from "../commands/shell.js";
import {
  TRAEFIK_CONTAINER,
  containersOfOthersUsingTraefik,
  listLabelledContainers,
  rebootTraefik,
  removeTraefikContainer,
  removeTraefikImage,
  startTraefik,
  stopTraefik,
  traefikEnvFile,
} from "../commands/traefik.js";
import { envFileContent } from "../config/env.js";
import type { Config } from "../config/model.js";
import { MrskError } from "../errors.js";
import { onHosts } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import { auditTags } from "./audit.js";
import { confirmPlan } from "./confirm.js";
import type { FlowContext } from "./context.js";
import { runHook } from "./hooks.js";
import { showLogs } from "./logs.js";
import { mutate, queryEverywhere, type LockChoice, type RemoveOptions } from "./operation.js";
import { traefikDriver } from "./proxy/traefik.js";

// `mrsk traefik …`: the MRSK proxy, one `traefik` container on each host of a proxied role. It is
// shared by every service on the host, so removing it is skipped where another service uses it.

async function target(ctx: FlowContext): Promise<{ config: Config; hosts: string[] }> {
  const config = await ctx.config();
  if (config.proxyDriver !== "traefik") {
    throw new MrskError("This configuration uses the Caddy proxy (a `proxy:` section), not Traefik", { hint: "use `mrsk proxy …` for it" });
  }
  const selection = await ctx.selection();
  const hosts = config.proxyHosts.filter((h) => selection.hosts.includes(h));
  if (hosts.length === 0) {
    throw new MrskError("No selected host runs Traefik", {
      hint: config.proxyHosts.length === 0 ? "no role is behind Traefik (every role has traefik: false)" : `Traefik runs on the hosts of proxied roles: ${config.proxyHosts.join(", ")}`,
    });
  }
  return { config, hosts };
}

function audited(ctx: FlowContext, config: Config, message: string, command: Cmd): Cmd {
  return combine(recordAudit(config, auditTags(ctx, config), message), command);
}

export async function bootTraefik(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  const { config, hosts } = await target(ctx);
  await mutate(ctx, config, hosts, { command: "traefik boot", skipLock: options.skipLock }, async () => {
    await onHosts(await ctx.transport(), hosts, (session) => session.run(recordAudit(config, auditTags(ctx, config), "Booted traefik")));
    await traefikDriver.ensureRunning(ctx, config, hosts);
  });
}

export interface TraefikRebootOptions extends LockChoice {
  /** One host at a time, so the others keep serving. */
  rolling?: boolean | undefined;
}

/** Replaces the Traefik container (new image, args or labels), on all hosts at once or one by one. */
export async function rebootTraefikCommand(ctx: FlowContext, options: TraefikRebootOptions = {}): Promise<void> {
  const { config, hosts } = await target(ctx);
  const batches = options.rolling === true ? hosts.map((h) => [h]) : [hosts];
  await mutate(ctx, config, hosts, { command: "traefik reboot", skipLock: options.skipLock }, async () => {
    for (const batch of batches) {
      const hook = { command: "traefik", subcommand: "reboot", hosts: batch };
      await runHook(ctx, config, "pre-proxy-reboot", hook);
      ctx.output.phase(`Rebooting Traefik on ${batch.join(", ")}`);
      await onHosts(await ctx.transport(), batch, async (session) => {
        await uploadTraefikEnv(config, session);
        await session.run(audited(ctx, config, "Rebooted traefik", rebootTraefik(config)));
      });
      await runHook(ctx, config, "post-proxy-reboot", hook);
    }
  });
}

async function uploadTraefikEnv(config: Config, session: HostSession): Promise<void> {
  const env = config.traefik.env;
  if (env.secrets.length === 0) return;
  await session.run(ensureDirectory(`${config.runDirectory}/traefik`));
  await session.upload(traefikEnvFile(config), envFileContent(config.secretValues(env)), 0o600);
}

export async function startTraefikCommand(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  await changeTraefik(ctx, "traefik start", options, (config) => [audited(ctx, config, "Started traefik", startTraefik())]);
}

export async function stopTraefikCommand(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  await changeTraefik(ctx, "traefik stop", options, (config) => [audited(ctx, config, "Stopped traefik", stopTraefik())]);
}

export async function restartTraefik(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  await changeTraefik(ctx, "traefik restart", options, (config) => [audited(ctx, config, "Stopped traefik", stopTraefik()), audited(ctx, config, "Started traefik", startTraefik())]);
}

async function changeTraefik(ctx: FlowContext, command: string, options: LockChoice, steps: (config: Config) => Cmd[]): Promise<void> {
  const { config, hosts } = await target(ctx);
  await mutate(ctx, config, hosts, { command, skipLock: options.skipLock }, async () => {
    await onHosts(await ctx.transport(), hosts, async (session) => {
      for (const step of steps(config)) await session.run(step);
    });
  });
}

export async function showTraefikDetails(ctx: FlowContext): Promise<void> {
  const { config, hosts } = await target(ctx);
  await queryEverywhere(ctx, config, hosts, "traefik details", async (session) => [{ text: (await session.run(namedContainerDetails(TRAEFIK_CONTAINER))).stdout }]);
}

export async function showTraefikLogs(ctx: FlowContext, request: LogOptions): Promise<void> {
  const { config, hosts } = await target(ctx);
  await showLogs(ctx, config, hosts, "traefik logs", async () => [{ container: TRAEFIK_CONTAINER }], request);
}

export interface TraefikRemoveOptions extends RemoveOptions {
  /** Remove Traefik even where other services' containers use it. */
  force?: boolean | undefined;
}

/** `traefik remove`: container, image and env file, on the hosts where no other service uses Traefik. */
export async function removeTraefikCommand(ctx: FlowContext, options: TraefikRemoveOptions): Promise<void> {
  const { config, hosts } = await target(ctx);
  let plan: TraefikRemovalPlan | undefined;
  await mutate(
    ctx,
    config,
    hosts,
    {
      command: "traefik remove",
      skipLock: options.skipLock,
      beforeLock: async () => {
        plan = await planTraefikRemoval(ctx, config, hosts, options.force === true);
        await confirmPlan(ctx, ["Removing Traefik:", ...plan.lines].join("\n"), options);
      },
    },
    async () => {
      await onHosts(await ctx.transport(), plan!.remove, (session) => removeTraefikOn(ctx, config, session));
    },
  );
}

export interface TraefikRemovalPlan {
  /** Hosts where Traefik goes. */
  remove: string[];
  /** What will happen on each host, in words. */
  lines: string[];
}

/** Decides per host whether Traefik goes: not while containers of other services carry Traefik labels (unless forced). */
export async function planTraefikRemoval(ctx: FlowContext, config: Config, hosts: readonly string[], force: boolean): Promise<TraefikRemovalPlan> {
  const others = await onHosts(await ctx.transport(), hosts, async (session) => containersOfOthersUsingTraefik(config, (await session.run(listLabelledContainers())).stdout));
  const remove = hosts.filter((_, i) => force || others[i]!.length === 0);
  const lines = hosts.map((host, i) =>
    remove.includes(host)
      ? `  ${host}: container ${TRAEFIK_CONTAINER}, image ${config.traefik.image}, ${config.runDirectory}/traefik${others[i]!.length > 0 ? ` (forced: ${others[i]!.join(", ")} use it)` : ""}`
      : `  ${host}: kept, other services use it (${others[i]!.join(", ")})`,
  );
  return { remove, lines };
}

export async function removeTraefikOn(ctx: FlowContext, config: Config, session: HostSession): Promise<void> {
  await session.run(audited(ctx, config, "Removed traefik", removeTraefikContainer()));
  const image = await session.run(removeTraefikImage(config), { tolerate: true });
  if (image.exitCode !== 0 && !/no such image/i.test(image.stderr)) ctx.output.warn(`Kept the image ${config.traefik.image}: ${image.stderr.trim().split("\n").pop()}`, session.host);
  await session.run(removePaths([`${config.runDirectory}/traefik`]));
}
