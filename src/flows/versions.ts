import { listImageIdsAndTags, listServiceContainers, parseContainerRows, type ContainerRow } from "../commands/app.js";
import type { Config } from "../config/model.js";
import type { Role } from "../config/role.js";
import { MrskError } from "../errors.js";
import { onHosts } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import type { FlowContext } from "./context.js";
import { currentContainer, versionsTaggedLatest } from "./current.js";
import { queryEverywhere, selectedAppHosts, selectedRolesOn } from "./operation.js";

// Which versions a host can roll back to. "Before" is decided by container creation times, read
// from the host's Docker: a boot that failed left no container (it was removed when rolling back),
// a rollback creates a new container (so the version it left is the newest before it), and the
// times come from the host's clock. The audit log is not used: it records boots that failed too,
// its times come from each deployer's clock, and it can be rotated or removed.

/** What a dry run of `rollback` without a version shows for the version it would pick. */
const DRY_RUN_PREVIOUS = "previous-version";

export interface BootedVersion {
  version: string;
  /** When its newest container was created (Docker's CreatedAt). */
  bootedAt: string;
  /** The version's image is still on the host, so it can boot again without a pull. */
  imagePresent: boolean;
}

export interface HostVersions {
  serving: string | undefined;
  /** When the serving version's container was created. */
  servingSince: string | undefined;
  /** Versions other than the serving one, with a container and an image, newest first. */
  candidates: BootedVersion[];
}

/** `2026-12-08 00:01:02 +0000 UTC` (docker ps) to milliseconds, for ordering. */
function createdMs(createdAt: string): number {
  const [date, time, offset] = createdAt.split(" ");
  const ms = Date.parse(`${date}T${time}${offset === undefined ? "Z" : `${offset.slice(0, 3)}:${offset.slice(3)}`}`);
  return Number.isNaN(ms) ? 0 : ms;
}

function versionOfRow(roles: readonly Role[], row: ContainerRow): string | undefined {
  const role = roles.find((r) => r.name === row.role);
  return role?.versionOf(row.name)?.replace(/_replaced_[0-9a-f]+$/, "");
}

export function hostVersions(config: Config, roles: readonly Role[], psStdout: string, imagesStdout: string): HostVersions {
  const rows = parseContainerRows(psStdout).filter((r) => roles.some((role) => role.name === r.role));
  const tags = new Set(imagesStdout.split("\n").map((l) => l.trim().split(/\s+/)[1] ?? ""));
  const latest = versionsTaggedLatest(config, imagesStdout);
  const fromLatest = new Set(rows.filter((r) => latest.includes(versionOfRow(roles, r) ?? "")).map((r) => r.name));
  const current = roles.map((role) => currentContainer(role, { rows, fromLatest })).find((c) => c !== undefined);
  const currentRow = rows.find((r) => r.name === current);
  const serving = currentRow === undefined ? undefined : versionOfRow(roles, currentRow);
  const newest = new Map<string, number>();
  const createdAt = new Map<string, string>();
  for (const row of rows) {
    const version = versionOfRow(roles, row);
    if (version === undefined || version === serving) continue;
    const ms = createdMs(row.createdAt);
    if (ms >= (newest.get(version) ?? -1)) {
      newest.set(version, ms);
      createdAt.set(version, row.createdAt);
    }
  }
  const candidates = [...newest.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([version]) => ({ version, bootedAt: createdAt.get(version)!, imagePresent: tags.has(version) }))
    .filter((v) => v.imagePresent);
  return { serving, servingSince: currentRow?.createdAt, candidates };
}

async function readHostVersions(session: HostSession, config: Config, roles: readonly Role[]): Promise<HostVersions & { tags: string[] }> {
  const [ps, images] = await Promise.all([session.run(listServiceContainers(config)), session.run(listImageIdsAndTags(config))]);
  const tags = images.stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[1] ?? "")
    .filter((t) => t !== "" && t !== "<none>" && !/^latest(-.+)?$/.test(t));
  return { ...hostVersions(config, roles, ps.stdout, images.stdout), tags };
}

/**
 * The version that served before the current one on every host, for `mrsk rollback` without a
 * version; refuses, listing what each host has, when the hosts disagree or one has none.
 */
export async function previousVersion(ctx: FlowContext, config: Config, hosts: readonly string[], roles: readonly Role[]): Promise<string> {
  const perHost = await onHosts(await ctx.transport(), hosts, (session) =>
    readHostVersions(
      session,
      config,
      roles.filter((r) => r.hosts.includes(session.host)),
    ),
  );
  if (ctx.dryRun && perHost.every((v) => v.serving === undefined && v.candidates.length === 0)) {
    ctx.output.info(`Dry run: the hosts were not asked which version served before; the plan shows ${DRY_RUN_PREVIOUS} in its place (pass a VERSION to see it with one)`);
    return DRY_RUN_PREVIOUS;
  }
  const previous = perHost.map((v) => v.candidates[0]?.version);
  const first = previous[0];
  if (first !== undefined && previous.every((v) => v === first)) {
    ctx.output.info(`Rolling back to ${first}, the version that served before ${perHost[0]!.serving ?? "the current one"} on ${hosts.join(", ")}`);
    return first;
  }
  const described = hosts
    .map((h, i) => `    ${h}: serving ${perHost[i]!.serving ?? "nothing"}; before it: ${perHost[i]!.candidates.map((c) => c.version).join(", ") || "none"}`)
    .join("\n");
  const everywhere = perHost[0]!.tags.filter((t) => perHost.every((v) => v.tags.includes(t))).sort();
  throw new MrskError(
    `${previous.some((v) => v === undefined) ? "No earlier version is left to roll back to on every host" : "The hosts disagree on the version that served before"}; nothing was changed\n${described}`,
    { hint: everywhere.length > 0 ? `versions available on every host: ${everywhere.join(", ")}; pass one: mrsk rollback VERSION` : "no version is available on every host; deploy instead" },
  );
}

/** `mrsk app versions`: per host, the serving version and those it can roll back to, newest first. */
export async function showAppVersions(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const selection = await ctx.selection();
  const hosts = selectedAppHosts(config, selection);
  await queryEverywhere(ctx, config, hosts, "app versions", async (session) => {
    const versions = await readHostVersions(session, config, selectedRolesOn(config, selection, session.host));
    const lines = [
      versions.serving === undefined ? "(nothing serves now)" : `${versions.serving}  serving now (booted ${versions.servingSince})`,
      ...versions.candidates.map((c) => `${c.version}  booted ${c.bootedAt}`),
    ];
    if (versions.candidates.length === 0) lines.push("(no earlier version to roll back to)");
    return [{ text: lines.join("\n") }];
  });
}
