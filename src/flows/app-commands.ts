import {
  ensureDirectory,
  execInContainer,
  listAppImageRefs,
  listAppImages,
  listRoleContainers,
  listServiceContainers,
  oneOffContainer,
  parseContainerRows,
  pruneAppImages,
  pruneRoleContainers,
  roleDetails,
  startContainer,
  stopContainer,
  stopRoleContainers,
  tagLatest,
  type LogOptions,
} from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import { ensureAppNetwork } from "../commands/network.js";
import { removeImages } from "../commands/prune.js";
import { removePaths } from "../commands/server.js";
import { chain, combine } from "../commands/shell.js";
import { envFileContent } from "../config/env.js";
import type { Config } from "../config/model.js";
import type { Role } from "../config/role.js";
import type { Selection } from "../config/selection.js";
import { MrskError } from "../errors.js";
import { onHosts } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import { auditTags } from "./audit.js";
import { bootFleet } from "./boot.js";
import { confirmPlan } from "./confirm.js";
import type { FlowContext } from "./context.js";
import { currentContainer, deployedVersion, ensureImageEverywhere, readContainers, staleContainers } from "./current.js";
import { execEverywhere, execInteractively, type ExecStep, type Terminal } from "./exec.js";
import { runHook } from "./hooks.js";
import { showLogs } from "./logs.js";
import { explicitVersion, knownVersion, mutate, queryEverywhere, selectedAppHosts, selectedRolesOn, type LockChoice, type RemoveOptions } from "./operation.js";
import { proxyDriver } from "./proxy/select.js";

// `mrsk app …`: the app's containers on the selected hosts, per role.

interface Target {
  config: Config;
  selection: Selection;
  hosts: string[];
}

async function target(ctx: FlowContext): Promise<Target> {
  const config = await ctx.config();
  const selection = await ctx.selection();
  return { config, selection, hosts: selectedAppHosts(config, selection) };
}

/** A role's name as a label, when the host shows more than one role. */
function labelFor(role: Role, roles: readonly Role[]): string | undefined {
  return roles.length > 1 ? role.name : undefined;
}

// --- changing containers ---

/** `app boot`: the deployed (or given) version, booted with the fleet-safe rule, then tagged latest. */
export async function bootApp(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  const { config, selection, hosts } = await target(ctx);
  await mutate(ctx, config, hosts, { command: "app boot", skipLock: options.skipLock }, async () => {
    const version = await deployedVersion(ctx, config, hosts);
    // The latest tag's version is on every host by definition; a given one may not be.
    if (explicitVersion(ctx) !== undefined) await ensureImageEverywhere(ctx, config, version, hosts);
    const hook = { command: "app", subcommand: "boot", hosts, roles: selection.roles.map((r) => r.name), version };
    await runHook(ctx, config, "pre-app-boot", hook);
    const driver = proxyDriver(config);
    await driver.refreshRoutes?.(ctx, config, config.proxyHosts.filter((h) => hosts.includes(h)));
    await bootFleet(ctx, config, { version, hosts, roles: selection.roles, driver, signal: ctx.signal });
    const tags = auditTags(ctx, config);
    await onHosts(await ctx.transport(), hosts, (session) =>
      session.run(combine(recordAudit(config, tags, `Tagging ${config.imageRef(version)} as the latest image`), tagLatest(config, version))),
    );
    await runHook(ctx, config, "post-app-boot", hook);
  });
}

/** `app start`: starts the existing containers of the deployed (or given) version. */
export async function startApp(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  const { config, selection, hosts } = await target(ctx);
  await mutate(ctx, config, hosts, { command: "app start", skipLock: options.skipLock }, async () => {
    const version = await deployedVersion(ctx, config, hosts);
    ctx.output.phase(`Starting version ${version} on ${hosts.join(", ")}`);
    await onHosts(await ctx.transport(), hosts, async (session) => {
      for (const role of selectedRolesOn(config, selection, session.host)) {
        const tags = auditTags(ctx, config, role.name);
        await session.run(combine(recordAudit(config, tags, `Started app version ${version}`), startContainer(role.containerName(version))));
      }
    });
  });
}

/** `app stop`: stops every running container of the selected roles. */
export async function stopApp(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  const { config, selection, hosts } = await target(ctx);
  const driver = proxyDriver(config);
  await mutate(ctx, config, hosts, { command: "app stop", skipLock: options.skipLock }, async () => {
    ctx.output.phase(`Stopping the app on ${hosts.join(", ")}`);
    await onHosts(await ctx.transport(), hosts, async (session) => {
      for (const role of selectedRolesOn(config, selection, session.host)) {
        const tags = auditTags(ctx, config, role.name);
        await session.run(combine(recordAudit(config, tags, "Stopped app"), stopRoleContainers(config, role, driver.stopTimeout(config, role))));
      }
    });
  });
}

/** `app stale_containers --stop`: stops running containers that are not their role's current one. */
export async function stopStaleContainers(ctx: FlowContext, options: LockChoice = {}): Promise<void> {
  const { config, selection, hosts } = await target(ctx);
  const driver = proxyDriver(config);
  await mutate(ctx, config, hosts, { command: "app stale_containers", skipLock: options.skipLock }, async () => {
    await onHosts(await ctx.transport(), hosts, async (session) => {
      const containers = await readContainers(session, config);
      for (const role of selectedRolesOn(config, selection, session.host)) {
        for (const name of staleContainers(role, containers)) {
          ctx.output.info(`Stopping stale container ${name}`, session.host);
          const tags = auditTags(ctx, config, role.name);
          await session.run(combine(recordAudit(config, tags, `Stopped stale container ${name}`), stopContainer(name, driver.stopTimeout(config, role))));
        }
      }
    });
  });
}

/** `app remove`: every container of the selected roles, the app's images no container needs any more, the roles' env files. */
export async function removeApp(ctx: FlowContext, options: RemoveOptions): Promise<void> {
  const { config, selection, hosts } = await target(ctx);
  await mutate(
    ctx,
    config,
    hosts,
    {
      command: "app remove",
      skipLock: options.skipLock,
      beforeLock: async () => confirmPlan(ctx, await describeAppRemoval(ctx, config, selection, hosts), options),
    },
    async () => {
      ctx.output.phase(`Removing the app from ${hosts.join(", ")}`);
      await onHosts(await ctx.transport(), hosts, (session) => removeAppOn(ctx, config, session, selectedRolesOn(config, selection, session.host)));
    },
  );
}

/** Stops and removes the roles' containers, then the images left unused, then the roles' env files. */
export async function removeAppOn(ctx: FlowContext, config: Config, session: HostSession, roles: readonly Role[]): Promise<void> {
  const driver = proxyDriver(config);
  for (const role of roles) {
    const tags = auditTags(ctx, config, role.name);
    await session.run(combine(recordAudit(config, tags, "Removed all app containers"), stopRoleContainers(config, role, driver.stopTimeout(config, role)), pruneRoleContainers(config, role)));
  }
  await session.run(combine(recordAudit(config, auditTags(ctx, config), "Removed all app images"), pruneAppImages(config)));
  // Images without the service label (built elsewhere) go by name, unless a container still needs the repository.
  const remaining = parseContainerRows((await session.run(listServiceContainers(config))).stdout);
  if (remaining.length === 0) {
    const refs = lines((await session.run(listAppImageRefs(config))).stdout).filter((ref) => !ref.endsWith(":<none>"));
    if (refs.length > 0) await session.run(removeImages(refs), { tolerate: true });
  }
  await session.run(removePaths(roles.map((r) => config.roleEnvFile(r))));
}

async function describeAppRemoval(ctx: FlowContext, config: Config, selection: Selection, hosts: readonly string[]): Promise<string> {
  const perHost = await onHosts(await ctx.transport(), hosts, async (session) => {
    const roles = selectedRolesOn(config, selection, session.host);
    const rows = parseContainerRows((await session.run(listServiceContainers(config))).stdout).filter((r) => roles.some((role) => role.name === r.role));
    const images = lines((await session.run(listAppImageRefs(config))).stdout);
    return [
      `  ${session.host}:`,
      `    containers: ${rows.length === 0 ? "none found" : rows.map((r) => r.name).join(", ")}`,
      `    images no remaining container uses, of: ${images.length === 0 ? "none found" : images.join(", ")}`,
      `    env files: ${roles.map((r) => config.roleEnvFile(r)).join(", ")}`,
    ].join("\n");
  });
  return [`Removing the app (${selection.roles.map((r) => r.name).join(", ")}) deletes:`, ...perHost].join("\n");
}

// --- looking ---

export async function showAppDetails(ctx: FlowContext): Promise<void> {
  await queryPerRole(ctx, "app details", (config, role) => roleDetails(config, role));
}

export async function showAppContainers(ctx: FlowContext): Promise<void> {
  await queryPerRole(ctx, "app containers", (config, role) => listRoleContainers(config, role));
}

async function queryPerRole(ctx: FlowContext, command: string, build: (config: Config, role: Role) => ReturnType<typeof roleDetails>): Promise<void> {
  const { config, selection, hosts } = await target(ctx);
  await queryEverywhere(ctx, config, hosts, command, async (session) => {
    const roles = selectedRolesOn(config, selection, session.host);
    const answers = await Promise.all(roles.map((role) => session.run(build(config, role))));
    return answers.map((result, i) => ({ label: labelFor(roles[i]!, roles), text: result.stdout }));
  });
}

export async function showAppImages(ctx: FlowContext): Promise<void> {
  const { config, hosts } = await target(ctx);
  await queryEverywhere(ctx, config, hosts, "app images", async (session) => [{ text: (await session.run(listAppImages(config))).stdout }]);
}

/** `app version`: the version of each role's current container. */
export async function showAppVersion(ctx: FlowContext): Promise<void> {
  const { config, selection, hosts } = await target(ctx);
  await queryEverywhere(ctx, config, hosts, "app version", async (session) => {
    const containers = await readContainers(session, config);
    const roles = selectedRolesOn(config, selection, session.host);
    const text = roles.map((role) => {
      const current = currentContainer(role, containers);
      const version = current === undefined ? "not running" : role.versionOf(current)!;
      return roles.length > 1 ? `${role.name}: ${version}` : version;
    });
    return [{ text: text.join("\n") }];
  });
}

/** `app stale_containers`: running containers other than each role's current one. */
export async function showStaleContainers(ctx: FlowContext): Promise<void> {
  const { config, selection, hosts } = await target(ctx);
  await queryEverywhere(ctx, config, hosts, "app stale_containers", async (session) => {
    const containers = await readContainers(session, config);
    const roles = selectedRolesOn(config, selection, session.host);
    const stale = roles.flatMap((role) => staleContainers(role, containers).map((name) => `${name} (${role.name}, current: ${currentContainer(role, containers)})`));
    return [{ text: stale.length === 0 ? "No stale containers" : stale.join("\n") }];
  });
}

export async function showAppLogs(ctx: FlowContext, request: LogOptions): Promise<void> {
  const { config, selection, hosts } = await target(ctx);
  await showLogs(
    ctx,
    config,
    hosts,
    "app logs",
    async (session) => {
      const containers = await readContainers(session, config);
      const roles = selectedRolesOn(config, selection, session.host);
      return roles.map((role) => ({
        label: selection.roles.length > 1 ? role.name : undefined,
        container: currentContainer(role, containers),
        absent: `No running container of ${role.containerPrefix}`,
      }));
    },
    request,
  );
}

// --- running commands ---

export interface AppExecRequest {
  line: string;
  /** In the running container (`docker exec`) instead of a new one. */
  reuse: boolean;
  /** On the primary host only, in a terminal. */
  interactive: boolean;
  env: Readonly<Record<string, string>>;
}

/**
 * `app exec`: on every selected host (per role there), or interactively on the primary one.
 * Resolves with the remote exit code of an interactive session.
 */
export async function execApp(ctx: FlowContext, request: AppExecRequest, terminal?: Terminal): Promise<number | null | undefined> {
  const { config, selection, hosts } = await target(ctx);
  const where = request.interactive ? [hosts.includes(selection.primaryHost) ? selection.primaryHost : hosts[0]!] : hosts;
  const version = request.reuse ? undefined : await deployedVersion(ctx, config, where);
  const stepsOn = async (session: HostSession): Promise<ExecStep[]> => {
    const roles = selectedRolesOn(config, selection, session.host);
    const containers = request.reuse ? await readContainers(session, config) : undefined;
    return (request.interactive ? roles.slice(0, 1) : roles).map((role) => execStep(ctx, config, session, role, request, version, containers, labelFor(role, roles)));
  };
  if (!request.interactive) {
    await execEverywhere(ctx, where, stepsOn);
    return undefined;
  }
  if (terminal === undefined) throw new MrskError("An interactive session needs a terminal");
  const session = await (await ctx.transport()).session(where[0]!);
  const [step] = await stepsOn(session);
  return execInteractively(ctx, session, step!, terminal);
}

function execStep(
  ctx: FlowContext,
  config: Config,
  session: HostSession,
  role: Role,
  request: AppExecRequest,
  version: string | undefined,
  containers: Awaited<ReturnType<typeof readContainers>> | undefined,
  label: string | undefined,
): ExecStep {
  const tags = auditTags(ctx, config, role.name);
  if (containers !== undefined) {
    // A dry run's hosts answer nothing: show the command for the container a deploy of this version makes.
    const name = currentContainer(role, containers) ?? (ctx.dryRun ? role.containerName(knownVersion(ctx, config)) : undefined);
    if (name === undefined) {
      throw new MrskError(`No running container of ${role.containerPrefix} on ${session.host} to run the command in`, {
        hint: "start the app (mrsk app boot), or drop --reuse to run it in a new container",
      });
    }
    return {
      label,
      title: `Running ${request.line} in ${name}`,
      prepare: async () => void (await session.run(recordAudit(config, tags, `Executed cmd '${request.line}' on app version ${role.versionOf(name)}`))),
      cmd: execInContainer(name, request.line, request.interactive, request.env),
    };
  }
  const env = role.env(session.host);
  return {
    label,
    title: `Running ${request.line} in a new ${role.containerPrefix} container of version ${version}`,
    prepare: async () => {
      if (env.secrets.length > 0) {
        await session.run(ensureDirectory(`${config.appDirectory}/env/roles`));
        await session.upload(config.roleEnvFile(role), envFileContent(config.secretValues(env)), 0o600);
      }
      await session.run(chain(...ensureAppNetwork(config), recordAudit(config, tags, `Executed cmd '${request.line}' on app version ${version}`)));
    },
    cmd: oneOffContainer(config, role, session.host, version!, request.line, { interactive: request.interactive, env: request.env }),
  };
}

function lines(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}
