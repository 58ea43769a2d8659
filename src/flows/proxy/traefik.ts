import type { Config } from "../../config/model.js";
import type { Role } from "../../config/role.js";
import { ensureDirectory } from "../../commands/app.js";
import { envFileContent } from "../../config/env.js";
import { startOrRunTraefik, traefikAppArgs, traefikEnvFile } from "../../commands/traefik.js";
import type { Word } from "../../commands/shell.js";
import { onHosts } from "../../transport/fanout.js";
import type { FlowContext } from "../context.js";
import { sleep } from "../with-lock.js";
import type { BootSlot, ProxyDriver } from "./driver.js";

// Traefik, as MRSK runs it: its Docker provider routes to every healthy container carrying the
// router labels. Both versions share traffic briefly; the retry middleware covers the old one
// stopping. Traefik applies Docker changes after its provider throttle (2 s unless
// `providers.providersThrottleDuration` says otherwise), so the switch waits that long.

const DEFAULT_PROVIDER_THROTTLE_MS = 2000;

export function providerThrottleMs(config: Config): number {
  const configured = config.traefik.args["providers.providersThrottleDuration"];
  return configured === undefined ? DEFAULT_PROVIDER_THROTTLE_MS : (goDurationMs(String(configured)) ?? DEFAULT_PROVIDER_THROTTLE_MS);
}

/** `500ms`, `2s`, `1m30s` or a bare number of seconds, as Go's time.ParseDuration and Traefik read them. */
export function goDurationMs(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

export const traefikDriver: ProxyDriver = {
  name: "traefik",

  appRunArgs(_config: Config, role: Role): Word[] {
    return role.proxied ? traefikAppArgs(role) : [];
  },

  async ensureRunning(ctx: FlowContext, config: Config, hosts: readonly string[]): Promise<void> {
    if (hosts.length === 0) return;
    ctx.output.phase(`Ensuring Traefik runs on ${hosts.join(", ")}`);
    const env = config.traefik.env;
    await onHosts(await ctx.transport(), hosts, async (session) => {
      if (env.secrets.length > 0) {
        await session.run(ensureDirectory(`${config.runDirectory}/traefik`));
        await session.upload(traefikEnvFile(config), envFileContent(config.secretValues(env)), 0o600);
      }
      await session.run(startOrRunTraefik(config));
    });
  },

  stopTimeout(config: Config, role: Role): number | undefined {
    return role.stopTimeout ?? config.stopWaitTime;
  },

  async switchTraffic(_ctx: FlowContext, config: Config, slots: readonly BootSlot[], signal?: AbortSignal): Promise<void> {
    if (slots.some((s) => s.role.proxied && s.oldName !== undefined)) await sleep(providerThrottleMs(config), signal);
  },
};
