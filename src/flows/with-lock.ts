import type { Config } from "../config/model.js";
import { MrskError } from "../errors.js";
import type { HostSession } from "../transport/types.js";
import type { FlowContext } from "./context.js";
import { currentPerformer } from "./identity.js";
import { AUTOMATIC_LOCK_MESSAGE, dropLock, LockHeldError, takeLock } from "./lock.js";

// Runs `work` holding the deploy lock, and releases it however `work` ends: success, failure or an
// interrupt (the CLI turns SIGINT/SIGTERM into an abort that flows roll back from).

export interface LockOptions {
  version: string;
  message?: string;
  /** Wait for a held lock up to this many seconds instead of failing at once. */
  waitSeconds?: number;
  /** How often to look again while waiting. */
  pollSeconds?: number;
  signal?: AbortSignal;
}

export async function withLock<T>(ctx: FlowContext, config: Config, options: LockOptions, work: () => Promise<T>): Promise<T> {
  const session = await (await ctx.transport()).session(config.primaryHost);
  const request = { performer: currentPerformer(ctx.env, ctx.cwd), version: options.version, message: options.message ?? AUTOMATIC_LOCK_MESSAGE };

  ctx.output.phase("Acquiring the deploy lock");
  await acquire(ctx, session, config, request, options);
  try {
    return await work();
  } finally {
    ctx.output.phase("Releasing the deploy lock");
    await dropLock(session, config);
  }
}

async function acquire(
  ctx: FlowContext,
  session: HostSession,
  config: Config,
  request: Parameters<typeof takeLock>[2],
  options: LockOptions,
): Promise<void> {
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
  let announced = false;
  for (;;) {
    try {
      await takeLock(session, config, request);
      return;
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
export class InterruptedError extends MrskError {
  constructor(signalName: string) {
    super(`Interrupted by ${signalName}`, { exitStatus: 130 });
  }
}
