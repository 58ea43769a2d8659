import { namedContainerDetails, roleDetails } from "../commands/app.js";
import { accessoryDetails } from "../commands/accessory.js";
import { readAudit } from "../commands/audit.js";
import { proxyDetails } from "../commands/caddy.js";
import { TRAEFIK_CONTAINER } from "../commands/traefik.js";
import type { Cmd } from "../commands/shell.js";
import type { FlowContext } from "./context.js";
import { queryEverywhere, selectedRolesOn } from "./operation.js";

// `mrsk details` and `mrsk audit`: what runs, and what was done, on every selected host.

/** The proxy, each selected role and each accessory on every selected host. */
export async function showDetails(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const selection = await ctx.selection();
  await queryEverywhere(ctx, config, selection.hosts, "details", async (session) => {
    const host = session.host;
    const sections: Array<{ label: string; cmd: Cmd }> = [];
    if (config.proxyHosts.includes(host)) {
      sections.push(
        config.proxyDriver === "traefik"
          ? { label: "Traefik", cmd: namedContainerDetails(TRAEFIK_CONTAINER) }
          : { label: "Proxy", cmd: proxyDetails() },
      );
    }
    for (const role of selectedRolesOn(config, selection, host)) sections.push({ label: `App ${role.name}`, cmd: roleDetails(config, role) });
    for (const accessory of config.accessories.filter((a) => a.hosts.includes(host))) {
      sections.push({ label: `Accessory ${accessory.name}`, cmd: accessoryDetails(accessory) });
    }
    const answers = await Promise.all(sections.map((s) => session.run(s.cmd)));
    return answers.map((result, i) => ({ label: sections[i]!.label, text: result.stdout }));
  });
}

/** The last 50 lines of the service's audit log on every selected host. */
export async function showAudit(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const selection = await ctx.selection();
  await queryEverywhere(ctx, config, selection.hosts, "audit", async (session) => {
    const result = await session.run(readAudit(config), { tolerate: true });
    return [{ text: result.exitCode === 0 ? result.stdout || "(empty)" : `No audit log (${config.auditLog})` }];
  });
}
