import type { Command } from "commander";
import { action } from "./run.js";
import { logRequest, stopNotice, withConfirmation, withLogOptions, withSkipLock, type ConfirmCliOptions, type LockCliOptions, type LogCliOptions } from "./operate-options.js";

// `mrsk traefik …`: MRSK's proxy on the hosts of proxied roles.

export function registerTraefikCommands(program: Command): void {
  const traefik = program.command("traefik").description("manage Traefik, the MRSK proxy");
  const flows = () => import("../flows/traefik-commands.js");

  withSkipLock(traefik.command("boot").description("start Traefik where it does not run")).action(
    action<LockCliOptions>(async (ctx, options) => (await flows()).bootTraefik(ctx, options)),
  );
  withSkipLock(traefik.command("reboot").description("replace the Traefik container (new image, args or labels)").option("--rolling", "one host at a time")).action(
    action<LockCliOptions & { rolling?: boolean }>(async (ctx, options) => (await flows()).rebootTraefikCommand(ctx, options)),
  );
  withSkipLock(traefik.command("start").description("start the Traefik container")).action(
    action<LockCliOptions>(async (ctx, options) => (await flows()).startTraefikCommand(ctx, options)),
  );
  withSkipLock(traefik.command("stop").description("stop the Traefik container")).action(
    action<LockCliOptions>(async (ctx, options) => (await flows()).stopTraefikCommand(ctx, options)),
  );
  withSkipLock(traefik.command("restart").description("stop, then start the Traefik container")).action(
    action<LockCliOptions>(async (ctx, options) => (await flows()).restartTraefik(ctx, options)),
  );
  traefik
    .command("details")
    .description("show the Traefik container")
    .action(action(async (ctx) => (await flows()).showTraefikDetails(ctx), { interruptNotice: stopNotice }));
  withLogOptions(traefik.command("logs").description("show Traefik's log, per host")).action(
    action<LogCliOptions>(async (ctx, options) => (await flows()).showTraefikLogs(ctx, logRequest(options)), { interruptNotice: stopNotice }),
  );
  withConfirmation(
    traefik.command("remove").description("remove Traefik's container, image and env file where no other service uses it").option("--force", "also where other services use it"),
  ).action(
    action<ConfirmCliOptions & { force?: boolean }>(async (ctx, options) =>
      (await flows()).removeTraefikCommand(ctx, { yes: options.confirmed === true, skipLock: options.skipLock, force: options.force }),
    ),
  );
}
