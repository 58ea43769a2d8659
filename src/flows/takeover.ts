import { listImageIdsAndTags, listServiceContainers, parseContainerRows, removeContainer, startContainer, type ContainerRow } from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import { combine } from "../commands/shell.js";
import type { Config } from "../config/model.js";
import type { Role } from "../config/role.js";
import { onHosts } from "../transport/fanout.js";
import { auditTags } from "./audit.js";
import type { FlowContext } from "./context.js";
import { versionsTaggedLatest } from "./current.js";
import { AUTOMATIC_LOCK_MESSAGE, detail, type LockState } from "./lock.js";
import type { BootSlot, ProxyDriver } from "./proxy/driver.js";

// After taking over the lock of a deploy that died (SIGKILL, a cancelled CI job, a closed laptop):
// on each host where the version it was booting is not the one the `latest` tag names (it never
// finished), the serving version's container runs again, the proxy points at it (the dead deploy
// may have switched traffic already), and then the dead version's containers are removed. Where
// `latest` names that version, the dead deploy had finished booting there, and nothing is undone.

export interface CleanupScope {
  hosts: readonly string[];
  roles: readonly Role[];
  driver: ProxyDriver;
}

/** What to do on one host: the dead version's containers to remove and the serving ones to start again. */
export interface HostCleanup {
  remove: string[];
  restart: Array<{ role: Role; name: string }>;
  /** Per role, the serving container that takes the traffic back from the dead version's one. */
  route: Array<{ role: Role; serving: string; dead: string }>;
}

export function planCleanup(roles: readonly Role[], deadVersion: string, latestVersions: readonly string[], rows: readonly ContainerRow[]): HostCleanup {
  const plan: HostCleanup = { remove: [], restart: [], route: [] };
  if (latestVersions.includes(deadVersion)) return plan;
  for (const role of roles) {
    const ofRole = rows.filter((r) => r.role === role.name);
    const dead = ofRole.filter((r) => versionOfRow(role, r) === deadVersion);
    if (dead.length === 0) continue;
    plan.remove.push(...dead.map((r) => r.name));
    // Rows are newest first: the newest container of the serving version.
    const serving = ofRole.find((r) => latestVersions.includes(versionOfRow(role, r) ?? ""));
    if (serving === undefined) continue;
    if (serving.state !== "running" && serving.state !== "restarting") plan.restart.push({ role, name: serving.name });
    plan.route.push({ role, serving: serving.name, dead: dead[0]!.name });
  }
  return plan;
}

/** Locks taken by deploy, redeploy, setup, rollback and `app boot`: the holder was booting its version. */
function bootedAVersion(message: string | undefined): boolean {
  return message === AUTOMATIC_LOCK_MESSAGE || message === "Automatic lock: mrsk app boot";
}

/** A container's version, also for one renamed `<name>_replaced_<hex>` by a boot of the same version. */
function versionOfRow(role: Role, row: ContainerRow): string | undefined {
  return role.versionOf(row.name)?.replace(/_replaced_[0-9a-f]+$/, "");
}

export async function cleanUpAfterDeadDeploy(ctx: FlowContext, config: Config, previous: LockState, scope: CleanupScope): Promise<void> {
  const deadVersion = detail(previous.details, "Version");
  if (deadVersion === undefined || !bootedAVersion(detail(previous.details, "Message"))) return;
  const transport = await ctx.transport();
  await onHosts(transport, scope.hosts, async (session) => {
    const [containers, images] = await Promise.all([session.run(listServiceContainers(config)), session.run(listImageIdsAndTags(config))]);
    const roles = scope.roles.filter((r) => r.hosts.includes(session.host));
    const plan = planCleanup(roles, deadVersion, versionsTaggedLatest(config, images.stdout), parseContainerRows(containers.stdout));
    if (plan.remove.length === 0) return;
    ctx.output.info(
      `Removing ${plan.remove.join(", ")} left by the dead deploy of ${deadVersion}` +
        (plan.restart.length === 0 ? "" : `; starting ${plan.restart.map((r) => r.name).join(", ")} again`),
      session.host,
    );
    if (plan.restart.length > 0) await session.run(combine(...plan.restart.map((r) => startContainer(r.name))));
    // The dead deploy may have switched traffic to its containers: the proxy points back at the
    // serving ones, and what is in flight to the dead ones finishes, before they go.
    const slots: BootSlot[] = plan.route.map((r) => ({ host: session.host, role: r.role, session, newName: r.dead, oldName: r.serving, replacedName: undefined }));
    if (slots.length > 0) await scope.driver.restoreTraffic?.(ctx, config, slots);
    await session.run(
      combine(recordAudit(config, auditTags(ctx, config), `Removed ${plan.remove.join(", ")} left by a dead deploy of ${deadVersion}`), ...plan.remove.map((name) => removeContainer(name))),
    );
  });
}
