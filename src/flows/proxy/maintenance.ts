import { reloadProxy, siteFile, siteFilePath } from "../../commands/caddy.js";
import { recordAudit } from "../../commands/audit.js";
import { combine } from "../../commands/shell.js";
import type { Config } from "../../config/model.js";
import { proxySettings } from "../../config/proxy.js";
import type { Role } from "../../config/role.js";
import { MrskError } from "../../errors.js";
import { onHosts } from "../../transport/fanout.js";
import { auditTags } from "../audit.js";
import type { FlowContext } from "../context.js";

// `app maintenance` / `app live`: the role's site answers 503 with a message (its health path
// still 200, so load balancers keep the host) until it is live again. A site change: one reload.

/** Rewrites the proxied roles' site files on `hosts` (Caddy driver; the caller checked). */
export async function setMaintenance(
  ctx: FlowContext,
  config: Config,
  roles: readonly Role[],
  hosts: readonly string[],
  message: string | undefined,
): Promise<void> {
  const proxied = roles.filter((r) => r.proxied);
  if (proxied.length === 0) throw new MrskError("None of the selected roles is behind the proxy", { hint: "maintenance applies to proxied roles (the primary role by default)" });
  const on = message !== undefined;
  ctx.output.phase(`${on ? "Putting" : "Bringing"} ${proxied.map((r) => r.name).join(", ")} ${on ? "into maintenance" : "back live"} on ${hosts.join(", ")}`);
  const tags = auditTags(ctx, config);
  await onHosts(await ctx.transport(), hosts, async (session) => {
    const here = proxied.filter((r) => r.hosts.includes(session.host));
    if (here.length === 0) return;
    for (const role of here) {
      await session.upload(siteFilePath(role), siteFile(config, role, proxySettings(config, role), { maintenance: message }), 0o644);
    }
    await session.run(combine(recordAudit(config, tags, on ? "Started maintenance mode" : "Ended maintenance mode"), reloadProxy()));
  });
}
