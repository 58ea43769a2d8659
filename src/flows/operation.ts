import { unique } from "../config/hosts.js";
import type { Config } from "../config/model.js";
import type { Role } from "../config/role.js";
import type { Selection } from "../config/selection.js";
import { MrskError, MultiHostError } from "../errors.js";
import { namingHost, onHosts, onHostsSettled } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import type { Confirmation } from "./confirm.js";
import type { FlowContext } from "./context.js";
import { runHook } from "./hooks.js";
import { withLock } from "./with-lock.js";

// The two shapes of every command run on a live deployment. A read-only command asks every host
// and shows each answer, naming the hosts that could not answer. A mutating command reaches every
// host first, then changes things holding the deploy lock.

/** `--skip-lock`: change things without the deploy lock, on purpose. */
export interface LockChoice {
  skipLock?: boolean | undefined;
}

/** Options of the remove commands: `-y` and `--skip-lock`. */
export interface RemoveOptions extends LockChoice, Confirmation {}

export interface Mutation {
  /** The command, for the lock's message and the hooks: `app stop`, `accessory reboot`… */
  command: string;
  /** Run without the deploy lock (`--skip-lock`). */
  skipLock?: boolean | undefined;
  /** The app version the change is about, for the lock's details. */
  version?: string | undefined;
  /** Runs once every host answered and before the lock is taken (a confirmation). */
  beforeLock?: () => Promise<void>;
}

/** Opens the connection to every host first, so an unreachable one stops the command before any change. */
export async function connectAll(ctx: FlowContext, hosts: readonly string[]): Promise<void> {
  ctx.output.phase(`Connecting to ${hosts.join(", ")}`);
  await onHosts(await ctx.transport(), hosts, async () => undefined);
}

/** Connects to every host (and the lock's), then runs `work` holding the deploy lock. */
export async function mutate<T>(ctx: FlowContext, config: Config, hosts: readonly string[], mutation: Mutation, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const [command, subcommand] = splitCommand(mutation.command);
  await runHook(ctx, config, "pre-connect", { command, subcommand, hosts, version: mutation.version ?? knownVersion(ctx, config) });
  await connectAll(ctx, mutation.skipLock === true ? hosts : unique([...hosts, config.primaryHost]));
  await mutation.beforeLock?.();
  let result: T;
  if (mutation.skipLock === true) {
    ctx.output.warn("Not taking the deploy lock (--skip-lock)");
    result = await work();
  } else {
    const version = mutation.version ?? knownVersion(ctx, config);
    result = await withLock(ctx, config, { version, message: `Automatic lock: mrsk ${mutation.command}`, signal: ctx.signal }, work);
  }
  ctx.output.emit({ type: "done", ok: true, durationMs: Date.now() - started });
  return result;
}

/** What one host answered: blocks of text, each shown prefixed by the host (and under its label). */
export type Answer = Array<{ label?: string; text: string }>;

/**
 * Asks every host with `query` and shows the answers in host order. A host that cannot be reached
 * or fails is reported by name after the others answered, and the command then fails.
 */
export async function queryEverywhere(
  ctx: FlowContext,
  config: Config,
  hosts: readonly string[],
  command: string,
  query: (session: HostSession) => Promise<Answer>,
): Promise<void> {
  const [name, subcommand] = splitCommand(command);
  await runHook(ctx, config, "pre-connect", { command: name, subcommand, hosts, version: knownVersion(ctx, config) });
  const outcomes = await onHostsSettled(await ctx.transport(), hosts, query);
  const failures: Error[] = [];
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      failures.push(namingHost(outcome.host, outcome.error));
      continue;
    }
    for (const block of outcome.value) ctx.output.result(block.text.replace(/\n$/, ""), { host: outcome.host, ...(block.label === undefined ? {} : { label: block.label }) });
  }
  if (failures.length > 0) throw new MultiHostError(failures);
}

/** The version given with --version or $VERSION, if any. */
export function explicitVersion(ctx: FlowContext): string | undefined {
  const given = ctx.options.version ?? ctx.env.VERSION;
  return given === undefined || given === "" ? undefined : given;
}

/** The version for lock details and hooks, when the command is not about one: "(none)" outside a git checkout. */
export function knownVersion(ctx: FlowContext, config: Config): string {
  const given = explicitVersion(ctx);
  if (given !== undefined) return given;
  try {
    return config.version;
  } catch {
    return "(none)";
  }
}

/** Selected hosts that run a selected role, primary role's hosts first. */
export function selectedAppHosts(config: Config, selection: Selection): string[] {
  const hosts = config.appHosts.filter((h) => selection.hosts.includes(h) && selection.roles.some((r) => r.hosts.includes(h)));
  if (hosts.length === 0) throw new MrskError("No app host is selected", { hint: "check --hosts and --roles against `mrsk config`" });
  return hosts;
}

/** Selected roles on a host, primary role first. */
export function selectedRolesOn(config: Config, selection: Selection, host: string): Role[] {
  const roles = selection.roles.filter((r) => r.hosts.includes(host));
  return [...roles.filter((r) => r === config.primaryRole), ...roles.filter((r) => r !== config.primaryRole)];
}

function splitCommand(command: string): [string, string | undefined] {
  const [name = command, ...rest] = command.split(" ");
  return [name, rest.length === 0 ? undefined : rest.join(" ")];
}
