import type { Config } from "../config/model.js";
import { matches } from "../glob.js";
import { MrskError } from "../errors.js";
import type { HostSession } from "../transport/types.js";
import type { FlowContext } from "./context.js";
import { currentPerformer } from "./identity.js";
import { knownVersion } from "./operation.js";
import { describeLease, detail, dropLock, holderOf, readLock, secondsToExpiry, takeLock, type LockState } from "./lock.js";

// `mrsk lock status|acquire|release`, on the primary host, or on the hosts given with `-h` (which
// need not be in the configuration any more: a lock left on a host that left it can be released).

export async function showLock(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  for (const session of await lockSessions(ctx, config)) {
    const state = await readLock(session, config);
    if (state === undefined) {
      ctx.output.result("There is no deploy lock", { host: session.host, data: { locked: false } });
      continue;
    }
    const ci = detail(state.details, "CI run");
    const lines = [...state.details.trimEnd().split("\n").filter((l) => !l.startsWith("CI run: ")), `CI run: ${ci ?? "none"}`, ...describeLease(state)];
    ctx.output.result(lines.join("\n"), { host: session.host, data: lockData(state) });
  }
}

/** `lock status --json`: the same facts as fields, times in seconds on the host's clock. */
function lockData(state: LockState): Record<string, unknown> {
  const holder = holderOf(state.details);
  const left = secondsToExpiry(state);
  return {
    locked: true,
    holder: holder?.name ?? null,
    since: holder?.since ?? null,
    version: detail(state.details, "Version") ?? null,
    message: detail(state.details, "Message") ?? null,
    ciRun: detail(state.details, "CI run") ?? null,
    heldForSeconds: state.startedAt === undefined ? null : state.hostNow - state.startedAt,
    lease:
      state.lease === undefined || left === undefined
        ? null
        : { ttlSeconds: state.lease.ttlSeconds, lastHeartbeatSecondsAgo: state.hostNow - state.lease.heartbeatAt, expiresInSeconds: left, expired: left < 0 },
  };
}

export async function acquireLockByHand(ctx: FlowContext, message: string): Promise<void> {
  const config = await ctx.config();
  for (const session of await lockSessions(ctx, config)) {
    await takeLock(session, config, { performer: currentPerformer(ctx.env, ctx.cwd), version: knownVersion(ctx, config), message });
    ctx.output.info(`Acquired the deploy lock on ${session.host}`);
  }
}

export async function releaseLockByHand(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  for (const session of await lockSessions(ctx, config)) {
    if ((await readLock(session, config)) === undefined && !ctx.dryRun) {
      ctx.output.info("There is no deploy lock to release", session.host);
      continue;
    }
    await dropLock(session, config);
    ctx.output.info(`Released the deploy lock on ${session.host}`);
  }
}

/**
 * The primary host, or each host named with `-h`: names are taken as given (a host no longer in
 * the configuration still holds its lock); patterns with `*` match the configured hosts.
 */
async function lockSessions(ctx: FlowContext, config: Config): Promise<HostSession[]> {
  const transport = await ctx.transport();
  const given = ctx.options.hosts;
  if (given === undefined) return [await transport.session(config.primaryHost)];
  const names = given
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  if (names.length === 0) throw new MrskError(`--hosts ${JSON.stringify(given)} names no host`, { hint: "name the host whose lock to act on, e.g. -h 1.2.3.4" });
  const hosts = names.flatMap((name) => {
    if (!/[*?]/.test(name)) return [name];
    const found = config.allHosts.filter((h) => matches(name, h));
    if (found.length === 0) throw new MrskError(`No host matches --hosts ${name}`, { hint: `hosts are: ${config.allHosts.join(", ")}` });
    return found;
  });
  return Promise.all([...new Set(hosts)].map((h) => transport.session(h)));
}
