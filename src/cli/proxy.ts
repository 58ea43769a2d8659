import type { Command } from "commander";
import { logRequest, stopNotice, withLogOptions, withSkipLock, type LockCliOptions, type LogCliOptions } from "./operate-options.js";
import { action } from "./run.js";

// `mrsk proxy …`: the Caddy proxy shared by the apps on a host (configs with a `proxy:` section).

export function registerProxyCommands(program: Command): void {
  const proxy = program.command("proxy").description("manage the Caddy proxy on the hosts (configs with `proxy:`)");
  const load = () => import("../flows/proxy/commands.js");

  withSkipLock(proxy.command("boot").description("start the proxy where it is not running, with this app's sites")).action(
    action<LockCliOptions>(async (ctx, o) => (await load()).bootProxyCommand(ctx, o)),
  );
  withSkipLock(proxy.command("reboot").description("replace the proxy container (new image or settings); drops open connections"))
    .option("--rolling", "one host at a time")
    .action(action<LockCliOptions & { rolling?: boolean }>(async (ctx, o) => (await load()).rebootProxyCommand(ctx, o)));
  withSkipLock(proxy.command("start").description("start the stopped proxy")).action(action<LockCliOptions>(async (ctx, o) => (await load()).startProxyCommand(ctx, o)));
  withSkipLock(proxy.command("stop").description("stop the proxy (every app on the host stops answering)")).action(
    action<LockCliOptions>(async (ctx, o) => (await load()).stopProxyCommand(ctx, o)),
  );
  withSkipLock(proxy.command("restart").description("restart the proxy")).action(action<LockCliOptions>(async (ctx, o) => (await load()).restartProxyCommand(ctx, o)));
  proxy
    .command("details")
    .description("show the proxy container on each host")
    .action(action(async (ctx) => (await load()).proxyDetailsCommand(ctx), { interruptNotice: stopNotice }));
  withLogOptions(proxy.command("logs").description("show the proxy's log on each host")).action(
    action<LogCliOptions>(async (ctx, o) => (await load()).proxyLogsCommand(ctx, logRequest(o)), { interruptNotice: stopNotice }),
  );
  withSkipLock(proxy.command("remove").description("remove the proxy, its certificates and files (refused while other services route through it)"))
    .option("--force", "remove it even if other services still have routes")
    .action(action<LockCliOptions & { force?: boolean }>(async (ctx, o) => (await load()).removeProxyCommand(ctx, o)));
}
