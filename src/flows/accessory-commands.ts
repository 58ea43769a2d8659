import {
  accessoryDetails,
  accessoryDirectory,
  accessoryDirectoryHostPath,
  accessoryFileHostPath,
  ensureAccessoryNetwork,
  execInAccessory,
  removeAccessoryContainer,
  removeAccessoryContainerIfAny,
  removeAccessoryFiles,
  removeAccessoryImage,
  runAccessoryOnce,
  startAccessory,
  stopAccessory,
} from "../commands/accessory.js";
import { ensureDirectory, type LogOptions } from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import { chain, combine, type Cmd } from "../commands/shell.js";
import type { Accessory } from "../config/accessory.js";
import { envFileContent } from "../config/env.js";
import { unique } from "../config/hosts.js";
import type { Config } from "../config/model.js";
import { MrskError, RemoteCommandError } from "../errors.js";
import { onHosts } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import { accessoriesNamed, bootAccessories } from "./accessory.js";
import { auditTags } from "./audit.js";
import { confirmPlan } from "./confirm.js";
import type { FlowContext } from "./context.js";
import { execEverywhere, execInteractively, type ExecStep, type Terminal } from "./exec.js";
import { showLogs } from "./logs.js";
import { mutate, queryEverywhere, type LockChoice, type RemoveOptions } from "./operation.js";

// `mrsk accessory NAME|all …`. An accessory's data lives in its directory on the host
// (`~/<service>-<name>/`: uploaded files and relative directories) and in named volumes, so it
// survives a reboot; `remove` deletes the directory but never a named volume or an absolute path.

interface Placed {
  accessory: Accessory;
  /** Its hosts among the selected ones. */
  hosts: string[];
}

interface AccessoryTarget {
  config: Config;
  placed: Placed[];
  /** Every host of them. */
  hosts: string[];
}

async function target(ctx: FlowContext, name: string): Promise<AccessoryTarget> {
  const config = await ctx.config();
  const selection = await ctx.selection();
  const placed = accessoriesNamed(config, name)
    .map((accessory) => ({ accessory, hosts: accessory.hosts.filter((h) => selection.hosts.includes(h)) }))
    .filter((p) => p.hosts.length > 0);
  if (placed.length === 0) {
    const where = accessoriesNamed(config, name).map((a) => `${a.name} on ${a.hosts.join(", ")}`);
    throw new MrskError(`No selected host runs ${name === "all" ? "an accessory" : `accessory ${name}`} (${where.join("; ")})`, {
      hint: "check --hosts and --roles",
    });
  }
  return { config, placed, hosts: unique(placed.flatMap((p) => p.hosts)) };
}

/** The accessories of `placed` on a host. */
function on(placed: readonly Placed[], host: string): Accessory[] {
  return placed.filter((p) => p.hosts.includes(host)).map((p) => p.accessory);
}

/** Runs `step` for each accessory on each of its hosts, host by host in parallel. */
async function eachPlaced(ctx: FlowContext, placed: readonly Placed[], step: (session: HostSession, accessory: Accessory) => Promise<void>): Promise<void> {
  const transport = await ctx.transport();
  for (const { accessory, hosts } of placed) await onHosts(transport, hosts, (session) => step(session, accessory));
}

export async function bootAccessory(ctx: FlowContext, name: string, options: LockChoice = {}): Promise<void> {
  const { config, placed, hosts } = await target(ctx, name);
  await mutate(ctx, config, hosts, { command: "accessory boot", skipLock: options.skipLock }, async () => {
    for (const { accessory, hosts: on } of placed) await bootAccessories(ctx, config, [accessory], on);
  });
}

/** Replaces the container; files, directories and named volumes are kept. */
export async function rebootAccessory(ctx: FlowContext, name: string, options: LockChoice = {}): Promise<void> {
  const { config, placed, hosts } = await target(ctx, name);
  await mutate(ctx, config, hosts, { command: "accessory reboot", skipLock: options.skipLock }, async () => {
    for (const { accessory, hosts: on } of placed) {
      ctx.output.phase(`Rebooting accessory ${accessory.name} on ${on.join(", ")}`);
      await onHosts(await ctx.transport(), on, (session) =>
        session.run(combine(recordAudit(config, auditTags(ctx, config), `Rebooted ${accessory.name} accessory`), removeAccessoryContainerIfAny(accessory))),
      );
      await bootAccessories(ctx, config, [accessory], on);
    }
  });
}

export async function startAccessoryCommand(ctx: FlowContext, name: string, options: LockChoice = {}): Promise<void> {
  await changeAccessory(ctx, name, "accessory start", options, (config, accessory) => [audited(ctx, config, `Started ${accessory.name} accessory`, startAccessory(accessory))]);
}

export async function stopAccessoryCommand(ctx: FlowContext, name: string, options: LockChoice = {}): Promise<void> {
  await changeAccessory(ctx, name, "accessory stop", options, (config, accessory) => [audited(ctx, config, `Stopped ${accessory.name} accessory`, stopAccessory(accessory))]);
}

export async function restartAccessory(ctx: FlowContext, name: string, options: LockChoice = {}): Promise<void> {
  await changeAccessory(ctx, name, "accessory restart", options, (config, accessory) => [
    audited(ctx, config, `Stopped ${accessory.name} accessory`, stopAccessory(accessory)),
    audited(ctx, config, `Started ${accessory.name} accessory`, startAccessory(accessory)),
  ]);
}

function audited(ctx: FlowContext, config: Config, message: string, command: Cmd): Cmd {
  return combine(recordAudit(config, auditTags(ctx, config), message), command);
}

async function changeAccessory(ctx: FlowContext, name: string, command: string, options: LockChoice, steps: (config: Config, accessory: Accessory) => Cmd[]): Promise<void> {
  const { config, placed, hosts } = await target(ctx, name);
  await mutate(ctx, config, hosts, { command, skipLock: options.skipLock }, () =>
    eachPlaced(ctx, placed, async (session, accessory) => {
      for (const step of steps(config, accessory)) await session.run(step);
    }),
  );
}

/** `accessory remove`: container, image, directory and env file, after saying exactly which. */
export async function removeAccessory(ctx: FlowContext, name: string, options: RemoveOptions): Promise<void> {
  const { config, placed, hosts } = await target(ctx, name);
  await mutate(
    ctx,
    config,
    hosts,
    { command: "accessory remove", skipLock: options.skipLock, beforeLock: () => confirmPlan(ctx, describeAccessoryRemoval(config, placed), options) },
    () => eachPlaced(ctx, placed, (session, accessory) => removeAccessoryOn(ctx, config, session, accessory)),
  );
}

export async function removeAccessoryOn(ctx: FlowContext, config: Config, session: HostSession, accessory: Accessory): Promise<void> {
  ctx.output.info(`Removing accessory ${accessory.name}`, session.host);
  await session.run(recordAudit(config, auditTags(ctx, config), `Removed ${accessory.name} accessory`));
  const removed = await session.run(removeAccessoryContainer(accessory), { tolerate: true });
  if (removed.exitCode !== 0 && !/no such container/i.test(removed.stderr)) throw new RemoteCommandError({ ...removed, command: removed.line });
  const image = await session.run(removeAccessoryImage(accessory), { tolerate: true });
  if (image.exitCode !== 0 && !/no such image/i.test(image.stderr)) ctx.output.warn(`Kept the image ${accessory.image}: ${image.stderr.trim().split("\n").pop()}`, session.host);
  await session.run(removeAccessoryFiles(config, accessory));
}

/** What `remove` deletes for each accessory, and what it keeps. */
export function describeAccessoryRemoval(config: Config, placed: readonly Placed[]): string {
  return placed.map(({ accessory, hosts }) => [`Removing accessory ${accessory.name} deletes, on ${hosts.join(", ")}:`, ...accessoryRemovalLines(config, accessory)].join("\n")).join("\n");
}

export function accessoryRemovalLines(config: Config, accessory: Accessory): string[] {
  const inside = [
    ...accessory.files.map((f) => accessoryFileHostPath(accessory, f.remote)),
    ...accessory.directories.filter((d) => !d.host.startsWith("/")).map((d) => accessoryDirectoryHostPath(accessory, d.host)),
  ];
  const keptDirectories = accessory.directories.filter((d) => d.host.startsWith("/")).map((d) => d.host);
  const keptVolumes = accessory.volumes.map((v) => v.split(":")[0]!).filter((source) => /^[A-Za-z0-9][\w.-]*$/.test(source));
  const kept = [...keptVolumes.map((v) => `volume ${v}`), ...keptDirectories.map((d) => `directory ${d}`)];
  return [
    `    container ${accessory.service} (with its anonymous volumes)`,
    `    image ${accessory.image} (unless another container uses it)`,
    `    directory ~/${accessoryDirectory(accessory)}${inside.length === 0 ? "" : ` (with ${inside.join(", ")})`}`,
    `    env file ${config.accessoryEnvFile(accessory)}`,
    ...(kept.length === 0 ? [] : [`  and keeps ${kept.join(", ")}`]),
  ];
}

// --- looking ---

export async function showAccessoryDetails(ctx: FlowContext, name: string): Promise<void> {
  const { config, placed, hosts } = await target(ctx, name);
  await queryEverywhere(ctx, config, hosts, "accessory details", async (session) => {
    const here = on(placed, session.host);
    const answers = await Promise.all(here.map((a) => session.run(accessoryDetails(a))));
    return answers.map((result, i) => ({ ...(placed.length > 1 ? { label: here[i]!.name } : {}), text: result.stdout }));
  });
}

export async function showAccessoryLogs(ctx: FlowContext, name: string, request: LogOptions): Promise<void> {
  const { config, placed, hosts } = await target(ctx, name);
  await showLogs(
    ctx,
    config,
    hosts,
    "accessory logs",
    async (session) => on(placed, session.host).map((a) => ({ label: placed.length > 1 ? a.name : undefined, container: a.service })),
    request,
  );
}

export interface AccessoryExecRequest {
  line: string;
  reuse: boolean;
  interactive: boolean;
  env: Readonly<Record<string, string>>;
}

/** `accessory exec NAME`: on each of its hosts, or interactively on the first. */
export async function execAccessory(ctx: FlowContext, name: string, request: AccessoryExecRequest, terminal?: Terminal): Promise<number | null | undefined> {
  if (name === "all") throw new MrskError("accessory exec runs in one accessory", { hint: "name it: mrsk accessory exec NAME …" });
  const { config, placed } = await target(ctx, name);
  const { accessory, hosts } = placed[0]!;
  const step = (session: HostSession): ExecStep => ({
    title: `Running ${request.line} in ${request.reuse ? accessory.service : `a new container of ${accessory.image}`}`,
    prepare: async () => {
      if (!request.reuse && accessory.env.secrets.length > 0) {
        await session.run(ensureDirectory(`${config.appDirectory}/env/accessories`));
        await session.upload(config.accessoryEnvFile(accessory), envFileContent(config.secretValues(accessory.env)), 0o600);
      }
      const audit = recordAudit(config, auditTags(ctx, config), `Executed cmd '${request.line}' on ${accessory.name} accessory`);
      await session.run(request.reuse ? audit : chain(...ensureAccessoryNetwork(config, accessory), audit));
    },
    cmd: request.reuse
      ? execInAccessory(accessory, request.line, { interactive: request.interactive, env: request.env })
      : runAccessoryOnce(config, accessory, request.line, { interactive: request.interactive, env: request.env }),
  });
  if (!request.interactive) {
    await execEverywhere(ctx, hosts, async (session) => [step(session)]);
    return undefined;
  }
  if (terminal === undefined) throw new MrskError("An interactive session needs a terminal");
  const session = await (await ctx.transport()).session(hosts[0]!);
  return execInteractively(ctx, session, step(session), terminal);
}
