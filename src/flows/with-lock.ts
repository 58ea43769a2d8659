import type { Config } from "../config/model.js";
import { releaseLease, renewLease, type Lease } from "../commands/lock.js";
import { MrskError } from "../errors.js";
import type { HostSession } from "../transport/types.js";
import { auditTags } from "./audit.js";
import type { FlowContext } from "./context.js";
import { currentPerformer } from "./identity.js";
import { AUTOMATIC_LOCK_MESSAGE, describeTakeover, LockHeldError, newLease, readLock, takeLock, type LockRequest, type LockState } from "./lock.js";

// Runs `work` holding the deploy lock, and releases it however `work` ends: success, failure or an
// interrupt (the CLI turns SIGINT/SIGTERM into an abort that flows roll back from). The lock is a
// lease renewed while `work` runs, so a CLI killed with SIGKILL leaves a lock that expires.

export interface LockOptions {
  version: string;
  message?: string;
  /** Wait for a held lock up to this many seconds instead of failing at once. */
  waitSeconds?: number;
  /** How often to look again while waiting. */
  pollSeconds?: number;
  signal?: AbortSignal;
  /** Runs after taking over an expired lock, before `work`: cleans up what the dead holder left. */
  onTakeover?: (previous: LockState) => Promise<void>;
}

/** The heartbeat's period: well within the ttl, and at least every 30 s. */
export function heartbeatIntervalMs(ttlSeconds: number): number {
  return Math.max(250, Math.min(30_000, (ttlSeconds * 1000) / 3));
}

export async function withLock<T>(ctx: FlowContext, config: Config, options: LockOptions, work: () => Promise<T>): Promise<T> {
  const session = await (await ctx.transport()).session(config.primaryHost);
  const request = { performer: currentPerformer(ctx.env, ctx.cwd), version: options.version, message: options.message ?? AUTOMATIC_LOCK_MESSAGE };
  const lease = newLease(config);

  ctx.output.phase("Acquiring the deploy lock");
  const previous = await acquire(ctx, session, config, request, lease, options);
  const heartbeat = ctx.dryRun ? undefined : new Heartbeat(ctx, session, config, lease);
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    if (previous !== undefined) {
      ctx.output.warn(`${describeTakeover(previous)}; cleaning up after it`, session.host);
      await options.onTakeover?.(previous);
    }
    outcome = { ok: true, value: await work() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  await heartbeat?.stop();
  ctx.output.phase("Releasing the deploy lock");
  try {
    await release(ctx, session, config, lease);
  } catch (releaseError) {
    if (!outcome.ok) throw new WorkAndReleaseError(outcome.error as Error, releaseError as Error);
    throw releaseError;
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** The work failed, and releasing the lock afterwards failed too: both are reported, the work's first. */
export class WorkAndReleaseError extends MrskError {
  constructor(
    readonly workError: Error,
    readonly releaseError: Error,
  ) {
    const workHint = workError instanceof MrskError ? workError.hint : undefined;
    super(`${workError.message}\nReleasing the deploy lock failed too: ${releaseError.message}`, {
      hint: `${workHint === undefined ? "" : `${workHint}; `}then run \`mrsk lock release\` once the host answers`,
      exitStatus: workError instanceof MrskError ? workError.exitStatus : 1,
      cause: workError,
    });
  }
}

async function release(ctx: FlowContext, session: HostSession, config: Config, lease: Lease): Promise<void> {
  const result = await session.run(releaseLease(config, lease.token), { tolerate: true });
  if (result.exitCode === 0) return;
  const state = await readLock(session, config);
  if (state?.lease?.owner === lease.token) {
    throw new MrskError(`Could not release the deploy lock on ${session.host}: ${result.stderr.trim() || `exit code ${result.exitCode}`}`, {
      hint: "run `mrsk lock release`",
    });
  }
  ctx.output.warn(
    state === undefined
      ? "The deploy lock was already released (by `mrsk lock release`?)"
      : "The deploy lock is no longer this deploy's: its heartbeat lapsed and another deploy took it over; left as it is",
    session.host,
  );
}

/** Renews the lease every heartbeatIntervalMs until stopped; warns once if the lease was lost. */
class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: FlowContext,
    private readonly session: HostSession,
    private readonly config: Config,
    private readonly lease: Lease,
  ) {
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.beating = this.beat();
    }, heartbeatIntervalMs(this.lease.ttlSeconds));
  }

  private async beat(): Promise<void> {
    try {
      const result = await this.session.run(renewLease(this.config, this.lease.token), { tolerate: true });
      if (result.exitCode !== 0) {
        this.ctx.output.warn("Lost the deploy lock: it was released or taken over by another deploy while this one ran", this.session.host);
        // Two deploys must never work at once: this one stops and rolls back, as on Ctrl-C.
        this.ctx.abort(new LockLostError(this.session.host));
        return;
      }
    } catch (error) {
      this.ctx.output.warn(`Could not renew the deploy lock: ${(error as Error).message}`, this.session.host);
    }
    if (!this.stopped) this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.beating;
  }
}

async function acquire(
  ctx: FlowContext,
  session: HostSession,
  config: Config,
  request: LockRequest,
  lease: Lease,
  options: LockOptions,
): Promise<LockState | undefined> {
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
  const audit = { lease, audit: () => auditTags(ctx, config) };
  let announced = false;
  for (;;) {
    try {
      return (await takeLock(session, config, request, audit)).previous;
    } catch (error) {
      if (!(error instanceof LockHeldError) || Date.now() >= deadline) throw error;
      if (!announced) {
        ctx.output.info(`The deploy lock is held; waiting up to ${options.waitSeconds}s for it:\n${error.details.trimEnd()}`, session.host);
        announced = true;
      }
      await sleep(Math.min((options.pollSeconds ?? 2) * 1000, Math.max(0, deadline - Date.now())), options.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Raised when the user interrupts a command; flows roll back before it reaches the CLI. */
/** The lease lapsed (the host was unreachable, the laptop slept) and another deploy took the lock over. */
export class LockLostError extends MrskError {
  constructor(readonly host: string) {
    super(`Lost the deploy lock on ${host} while deploying: stopped, and rolled back what this deploy had not yet switched`, {
      hint: "another deploy took the lock over after this one's heartbeat lapsed; see `mrsk lock status` and `mrsk app versions`, then deploy again",
    });
  }
}

export class InterruptedError extends MrskError {
  constructor(signalName: string) {
    super(`Interrupted by ${signalName}`, { exitStatus: 130 });
  }
}
