import type { Command } from "commander";
import { action } from "./run.js";
import { stopNotice, withConfirmation, type ConfirmCliOptions } from "./operate-options.js";

// Top-level commands about the whole deployment: details, audit, remove.

export function registerDeploymentCommands(program: Command): void {
  program
    .command("details")
    .description("show the proxy, the app and the accessories on every host")
    .action(
      action(async (ctx) => {
        const { showDetails } = await import("../flows/details.js");
        await showDetails(ctx);
      }, { interruptNotice: stopNotice }),
    );
  program
    .command("audit")
    .description("show the last lines of the audit log on every host")
    .action(
      action(async (ctx) => {
        const { showAudit } = await import("../flows/details.js");
        await showAudit(ctx);
      }, { interruptNotice: stopNotice }),
    );
  withConfirmation(program.command("remove").description("remove everything the service put on the hosts (asks first)")).action(
    action<ConfirmCliOptions>(async (ctx, options) => {
      const { removeEverything } = await import("../flows/remove.js");
      await removeEverything(ctx, { yes: options.confirmed === true, skipLock: options.skipLock });
    }),
  );
}
