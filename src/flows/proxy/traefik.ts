import type { Config } from "../../config/model.js";
import type { Role } from "../../config/role.js";
import { ensureDirectory } from "../../commands/app.js";
import { envFileContent } from "../../config/env.js";
import { runTraefik, startTraefik, traefikAppArgs, traefikEnvFile, traefikState } from "../../commands/traefik.js";
import type { Word } from "../../commands/shell.js";
import { onHosts } from "../../transport/fanout.js";
import type { FlowContext } from "../context.js";
import { sleep } from "../with-lock.js";
import type { BootSlot, ProxyDriver } from "./driver.js";

// Traefik, as MRSK runs it: its Docker provider routes to every healthy container carrying the
// router labels. Both versions share traffic briefly; the retry middleware covers the old one
// stopping. Traefik applies Docker changes after its 2 s provider throttle, so the switch waits that long.

const PROVIDER_THROTTLE_MS = 2000;

export const traefikDriver: ProxyDriver = {
  name: "traefik",

  appRunArgs(_config: Config, role: Role): Word[] {
    return role.proxied ? traefikAppArgs(role) : [];
  },

  async ensureRunning(ctx: FlowContext, config: Config, hosts: readonly string[]): Promise<void> {
    if (hosts.length === 0) return;
    ctx.output.phase(`Ensuring Traefik runs on ${hosts.join(", ")}`);
    await onHosts(await ctx.transport(), hosts, async (session) => {
      const state = await session.run(traefikState(), { tolerate: true });
      if (state.exitCode === 0 && state.stdout.trim() === "running") return;
      if (state.exitCode === 0) {
        await session.run(startTraefik());
        return;
      }
      const env = config.traefik.env;
      if (env.secrets.length > 0) {
        await session.run(ensureDirectory(`${config.runDirectory}/traefik`));
        await session.upload(traefikEnvFile(config), envFileContent(config.secretValues(env)), 0o600);
      }
      await session.run(runTraefik(config));
    });
  },

  async switchTraffic(_ctx: FlowContext, _config: Config, slots: readonly BootSlot[], signal?: AbortSignal): Promise<void> {
    if (slots.some((s) => s.role.proxied && s.oldName !== undefined)) await sleep(PROVIDER_THROTTLE_MS, signal);
  },
};
