import { listImageIdsAndTags, listImageTags, listServiceContainers, parseContainerRows, runningFromLatestImage, type ContainerRow } from "../commands/app.js";
import type { Config } from "../config/model.js";
import type { Role } from "../config/role.js";
import { checkVersion } from "../config/version.js";
import { MrskError } from "../errors.js";
import { onHosts } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import type { FlowContext } from "./context.js";
import { explicitVersion } from "./operation.js";

// What runs now. A role's current container on a host is the running one made from the image the
// `latest` tag points to (the last version fully booted), else the newest running one; every other
// running container of the role is stale. The deployed version is the one the `latest` tag names.

export interface HostContainers {
  /** The service's containers on the host, newest first. */
  rows: ContainerRow[];
  /** Names of the running ones made from the latest image. */
  fromLatest: ReadonlySet<string>;
}

export async function readContainers(session: HostSession, config: Config): Promise<HostContainers> {
  const [all, latest] = await Promise.all([session.run(listServiceContainers(config)), session.run(runningFromLatestImage(config))]);
  return { rows: parseContainerRows(all.stdout), fromLatest: new Set(lines(latest.stdout)) };
}

function isRunning(row: ContainerRow): boolean {
  return row.state === "running" || row.state === "restarting";
}

function runningOf(role: Role, containers: HostContainers): ContainerRow[] {
  return containers.rows.filter((r) => r.role === role.name && isRunning(r) && role.versionOf(r.name) !== undefined);
}

/** The role's current container on the host, if one runs. */
export function currentContainer(role: Role, containers: HostContainers): string | undefined {
  const running = runningOf(role, containers);
  return (running.find((r) => containers.fromLatest.has(r.name)) ?? running[0])?.name;
}

/** Running containers of the role other than the current one. */
export function staleContainers(role: Role, containers: HostContainers): string[] {
  const current = currentContainer(role, containers);
  return runningOf(role, containers)
    .map((r) => r.name)
    .filter((name) => name !== current);
}

/** The tags that name the same image as the `latest` tag (`latest-<dest>` with a destination). */
export function versionsTaggedLatest(config: Config, stdout: string): string[] {
  const latestTag = config.latestImage.slice(config.repository.length + 1);
  const rows = lines(stdout).map((l) => l.split(/\s+/) as [string, string]);
  const latestId = rows.find(([, tag]) => tag === latestTag)?.[0];
  if (latestId === undefined) return [];
  return rows.filter(([id, tag]) => id === latestId && tag !== "<none>" && !/^latest(-.+)?$/.test(tag)).map(([, tag]) => tag);
}

/**
 * The version to act on: --version or $VERSION when given, else the version the `latest` tag
 * names on every one of `hosts` (they must agree).
 */
export async function deployedVersion(ctx: FlowContext, config: Config, hosts: readonly string[]): Promise<string> {
  const given = explicitVersion(ctx);
  if (given !== undefined) return checkVersion(given);
  const perHost = await onHosts(await ctx.transport(), hosts, async (session) => versionsTaggedLatest(config, (await session.run(listImageIdsAndTags(config))).stdout));
  if (ctx.dryRun && perHost.every((v) => v.length === 0)) {
    ctx.output.info(`Dry run: the hosts were not asked which version is deployed; using ${config.version} (pass --version to choose)`);
    return config.version;
  }
  const missing = hosts.filter((_, i) => perHost[i]!.length === 0);
  if (missing.length > 0) {
    throw new MrskError(`No version of ${config.repository} is tagged ${config.latestImage.split(":").pop()} on ${missing.join(", ")}`, {
      hint: "deploy first, or pass --version VERSION",
    });
  }
  const common = perHost[0]!.filter((v) => perHost.every((versions) => versions.includes(v)));
  if (common.length === 1) return common[0]!;
  const described = hosts.map((h, i) => `${h}: ${perHost[i]!.join(", ")}`).join("; ");
  throw new MrskError(
    common.length === 0 ? `The hosts are on different versions (${described})` : `The latest image carries several versions (${common.join(", ")})`,
    { hint: "pass --version VERSION to choose one" },
  );
}

/** Refuses, before anything changes, a version whose image a host does not have, naming the versions every host has. */
export async function ensureImageEverywhere(ctx: FlowContext, config: Config, version: string, hosts: readonly string[]): Promise<void> {
  if (ctx.dryRun) return;
  const tagsPerHost = await onHosts(await ctx.transport(), hosts, async (session) =>
    lines((await session.run(listImageTags(config))).stdout).filter((t) => !t.startsWith("latest") && t !== "<none>"),
  );
  const missing = hosts.filter((_, i) => !tagsPerHost[i]!.includes(version));
  if (missing.length === 0) return;
  const everywhere = tagsPerHost[0]!.filter((t) => tagsPerHost.every((tags) => tags.includes(t))).sort();
  throw new MrskError(`Version ${version} is not available on ${missing.join(", ")}; nothing was changed`, {
    hint: everywhere.length > 0 ? `versions available on every host: ${everywhere.join(", ")}` : "no version is available on every host; deploy instead",
  });
}

function lines(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}
