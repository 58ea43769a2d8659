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

// `mrsk app …`: the app's containers on the selected hosts (-h, -r, -p).

export function registerAppCommands(program: Command): void {
  const app = program.command("app").description("manage the app's containers");
  const flows = () => import("../flows/app-commands.js");

  withSkipLock(app.command("boot").description("boot the deployed version (or --version) on the hosts, with zero downtime")).action(
    action<LockCliOptions>(async (ctx, options) => (await flows()).bootApp(ctx, options)),
  );
  withSkipLock(app.command("start").description("start the existing containers of the deployed version (or --version)")).action(
    action<LockCliOptions>(async (ctx, options) => (await flows()).startApp(ctx, options)),
  );
  withSkipLock(app.command("stop").description("stop the app's running containers")).action(
    action<LockCliOptions>(async (ctx, options) => (await flows()).stopApp(ctx, options)),
  );
  app
    .command("details")
    .description("show the app's running containers")
    .action(action(async (ctx) => (await flows()).showAppDetails(ctx), { interruptNotice: stopNotice }));
  app
    .command("containers")
    .description("show every container of the app, running or not")
    .action(action(async (ctx) => (await flows()).showAppContainers(ctx), { interruptNotice: stopNotice }));
  withSkipLock(
    app
      .command("stale_containers")
      .alias("stale-containers")
      .description("show running containers that are not their role's current version")
      .option("-s, --stop", "stop them"),
  ).action(
    action<LockCliOptions & { stop?: boolean }>(async (ctx, options) => {
      const { showStaleContainers, stopStaleContainers } = await flows();
      await (options.stop === true ? stopStaleContainers(ctx, options) : showStaleContainers(ctx));
    }),
  );
  app
    .command("images")
    .description("show the app's images on the hosts")
    .action(action(async (ctx) => (await flows()).showAppImages(ctx), { interruptNotice: stopNotice }));
  app
    .command("versions")
    .description("show, per host, the version serving now and those it can roll back to, newest first")
    .action(
      action(
        async (ctx) => {
          const { showAppVersions } = await import("../flows/versions.js");
          await showAppVersions(ctx);
        },
        { interruptNotice: stopNotice },
      ),
    );
  app
    .command("version")
    .description("show the version each role runs on each host")
    .action(action(async (ctx) => (await flows()).showAppVersion(ctx), { interruptNotice: stopNotice }));
  withConfirmation(app.command("remove").description("remove the app's containers, its images and its env files from the hosts")).action(
    action<ConfirmCliOptions>(async (ctx, options) => (await flows()).removeApp(ctx, { yes: options.confirmed === true, skipLock: options.skipLock })),
  );
  withLogOptions(app.command("logs").description("show the log of each role's current container, per host")).action(
    action<LogCliOptions>(async (ctx, options) => (await flows()).showAppLogs(ctx, logRequest(options)), { interruptNotice: stopNotice }),
  );
  withExecOptions(
    app
      .command("exec")
      .description("run a command in a new container of the deployed version (or the running one with --reuse)")
      .argument("<command...>", "the command line (quote it when it has options of its own)"),
  ).action(
    action<ExecCliOptions>(
      async (ctx, options, args) => {
        const { processTerminal } = await import("../flows/exec.js");
        const request = { line: args.join(" "), reuse: options.reuse === true, interactive: options.interactive === true, env: options.env };
        exitWith(await (await flows()).execApp(ctx, request, request.interactive ? processTerminal() : undefined));
      },
      { interruptNotice: stopNotice },
    ),
  );

  const maintenance = () => import("../flows/maintenance.js");
  withSkipLock(
    app
      .command("maintenance")
      .description("make the proxy answer a maintenance page (503) instead of the app (Caddy proxy only)")
      .option("--message <text>", "shown on the maintenance page"),
  ).action(
    action<LockCliOptions & { message?: string }>(async (ctx, options) =>
      (await maintenance()).switchMaintenance(ctx, "maintenance", { skipLock: options.skipLock, message: options.message }),
    ),
  );
  withSkipLock(app.command("live").description("take the app out of maintenance mode")).action(
    action<LockCliOptions>(async (ctx, options) => (await maintenance()).switchMaintenance(ctx, "live", options)),
  );
}
