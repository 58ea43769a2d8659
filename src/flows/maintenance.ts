import { MrskError } from "../errors.js";
import type { FlowContext } from "./context.js";
import { mutate, selectedAppHosts, type LockChoice } from "./operation.js";
import { setMaintenance } from "./proxy/maintenance.js";

// `app maintenance` / `app live`: the proxy answers a maintenance page (503) for the app's proxied
// roles instead of passing requests on, and back. Only the Caddy proxy, which mrsk configures per
// app, can do that; with Traefik the command is refused before connecting to anything.

export interface MaintenanceOptions extends LockChoice {
  /** Shown on the maintenance page (the proxy's default text when empty). */
  message?: string | undefined;
}

export async function switchMaintenance(ctx: FlowContext, mode: "maintenance" | "live", options: MaintenanceOptions = {}): Promise<void> {
  const config = await ctx.config();
  if (config.proxyDriver === "traefik") {
    throw new MrskError(`app ${mode} needs a proxy with a maintenance mode; this configuration uses Traefik (a \`traefik:\` section), which has none`, {
      hint: "switch to the Caddy proxy with a `proxy:` section (see docs/proxies.md), or stop the app with `mrsk app stop`",
    });
  }
  const selection = await ctx.selection();
  const hosts = selectedAppHosts(config, selection).filter((h) => selection.roles.some((r) => r.proxied && r.hosts.includes(h)));
  if (hosts.length === 0) throw new MrskError(`app ${mode}: no selected role is behind the proxy`, { hint: "roles with proxy: false take no traffic; check --roles" });
  await mutate(ctx, config, hosts, { command: `app ${mode}`, skipLock: options.skipLock }, () =>
    setMaintenance(ctx, config, selection.roles, hosts, mode === "maintenance" ? (options.message ?? "") : undefined),
  );
}
