import type { FlowContext } from "./context.js";
import { currentPerformer } from "./identity.js";
import { knownVersion } from "./operation.js";
import { describeAge, dropLock, lockedAt, readLock, takeLock } from "./lock.js";

// `mrsk lock status|acquire|release`, on the primary host.

export async function showLock(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const session = await (await ctx.transport()).session(config.primaryHost);
  const details = await readLock(session, config);
  if (details === undefined) {
    ctx.output.result("There is no deploy lock", { host: session.host });
    return;
  }
  const at = lockedAt(details);
  ctx.output.result(details.trimEnd() + (at === undefined ? "" : `\nHeld for: ${describeAge(at)}`), { host: session.host });
}

export async function acquireLockByHand(ctx: FlowContext, message: string): Promise<void> {
  const config = await ctx.config();
  const session = await (await ctx.transport()).session(config.primaryHost);
  await takeLock(session, config, { performer: currentPerformer(ctx.env, ctx.cwd), version: knownVersion(ctx, config), message });
  ctx.output.info(`Acquired the deploy lock on ${session.host}`);
}

export async function releaseLockByHand(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const session = await (await ctx.transport()).session(config.primaryHost);
  if ((await readLock(session, config)) === undefined && !ctx.dryRun) {
    ctx.output.info("There is no deploy lock to release", session.host);
    return;
  }
  await dropLock(session, config);
  ctx.output.info(`Released the deploy lock on ${session.host}`);
}
