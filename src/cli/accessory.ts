import type { Command } from "commander";
import { action } from "./run.js";
import {
  exitWith,
  logRequest,
  stopNotice,
  withConfirmation,
  withExecOptions,
  withLogOptions,
  withSkipLock,
  type ConfirmCliOptions,
  type ExecCliOptions,
  type LockCliOptions,
  type LogCliOptions,
} from "./operate-options.js";

// `mrsk accessory NAME|all …`: databases, caches and other services next to the app.

export function registerAccessoryCommands(program: Command): void {
  const accessory = program.command("accessory").description("manage accessories (databases, caches…)");
  const flows = () => import("../flows/accessory-commands.js");
  const named = (command: Command): Command => command.argument("<name>", "the accessory, or all");

  withSkipLock(named(accessory.command("boot").description("boot the accessory where it does not exist yet (files, directories, env, container)"))).action(
    action<LockCliOptions>(async (ctx, options, args) => (await flows()).bootAccessory(ctx, args[0]!, options)),
  );
  withSkipLock(named(accessory.command("reboot").description("replace the accessory's container, keeping its data"))).action(
    action<LockCliOptions>(async (ctx, options, args) => (await flows()).rebootAccessory(ctx, args[0]!, options)),
  );
  withSkipLock(named(accessory.command("start").description("start the accessory's container"))).action(
    action<LockCliOptions>(async (ctx, options, args) => (await flows()).startAccessoryCommand(ctx, args[0]!, options)),
  );
  withSkipLock(named(accessory.command("stop").description("stop the accessory's container"))).action(
    action<LockCliOptions>(async (ctx, options, args) => (await flows()).stopAccessoryCommand(ctx, args[0]!, options)),
  );
  withSkipLock(named(accessory.command("restart").description("stop, then start the accessory's container"))).action(
    action<LockCliOptions>(async (ctx, options, args) => (await flows()).restartAccessory(ctx, args[0]!, options)),
  );
  named(accessory.command("details").description("show the accessory's container")).action(
    action(async (ctx, _options, args) => (await flows()).showAccessoryDetails(ctx, args[0]!), { interruptNotice: stopNotice }),
  );
  withLogOptions(named(accessory.command("logs").description("show the accessory's log, per host"))).action(
    action<LogCliOptions>(async (ctx, options, args) => (await flows()).showAccessoryLogs(ctx, args[0]!, logRequest(options)), { interruptNotice: stopNotice }),
  );
  withExecOptions(
    accessory
      .command("exec")
      .description("run a command in a new container of the accessory's image (or the running one with --reuse)")
      .argument("<name>", "the accessory")
      .argument("<command...>", "the command line (quote it when it has options of its own)"),
  ).action(
    action<ExecCliOptions>(
      async (ctx, options, args) => {
        const { processTerminal } = await import("../flows/exec.js");
        const [name, ...words] = args;
        const request = { line: words.join(" "), reuse: options.reuse === true, interactive: options.interactive === true, env: options.env };
        exitWith(await (await flows()).execAccessory(ctx, name!, request, request.interactive ? processTerminal() : undefined));
      },
      { interruptNotice: stopNotice },
    ),
  );
  withConfirmation(named(accessory.command("remove").description("remove the accessory's container, image, directory and env file (its data!)"))).action(
    action<ConfirmCliOptions>(async (ctx, options, args) => (await flows()).removeAccessory(ctx, args[0]!, { yes: options.confirmed === true, skipLock: options.skipLock })),
  );
}
