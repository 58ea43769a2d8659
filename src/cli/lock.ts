import type { Command } from "commander";
import { action } from "./run.js";

export function registerLockCommands(program: Command): void {
  const lock = program.command("lock").description("manage the deploy lock on the primary host");

  lock
    .command("status")
    .description("show who holds the deploy lock, if anyone")
    .action(
      action(async (ctx) => {
        const { showLock } = await import("../flows/lock-commands.js");
        await showLock(ctx);
      }),
    );

  lock
    .command("acquire")
    .description("take the deploy lock by hand (e.g. during maintenance)")
    .requiredOption("-m, --message <message>", "why the lock is taken")
    .action(
      action<{ message: string }>(async (ctx, options) => {
        const { acquireLockByHand } = await import("../flows/lock-commands.js");
        await acquireLockByHand(ctx, options.message);
      }),
    );

  lock
    .command("release")
    .description("release the deploy lock")
    .action(
      action(async (ctx) => {
        const { releaseLockByHand } = await import("../flows/lock-commands.js");
        await releaseLockByHand(ctx);
      }),
    );
}
