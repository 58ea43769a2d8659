import type { Command } from "commander";
import { action } from "./run.js";

// `mrsk proxy …`: the Caddy proxy shared by the apps on a host (configs with a `proxy:` section).

export function registerProxyCommands(program: Command): void {
  const proxy = program.command("proxy").description("manage the Caddy proxy on the hosts (configs with `proxy:`)");
  const load = () => import("../flows/proxy/commands.js");

  proxy.command("boot").description("start the proxy where it is not running, with this app's sites").action(action(async (ctx) => (await load()).bootProxyCommand(ctx)));
  proxy
    .command("reboot")
    .description("replace the proxy container (new image or settings); drops open connections")
    .option("--rolling", "one host at a time")
    .action(action<{ rolling?: boolean }>(async (ctx, options) => (await load()).rebootProxyCommand(ctx, options.rolling === true)));
  proxy.command("start").description("start the stopped proxy").action(action(async (ctx) => (await load()).startProxyCommand(ctx)));
  proxy.command("stop").description("stop the proxy (every app on the host stops answering)").action(action(async (ctx) => (await load()).stopProxyCommand(ctx)));
  proxy.command("restart").description("restart the proxy").action(action(async (ctx) => (await load()).restartProxyCommand(ctx)));
  proxy.command("details").description("show the proxy container on each host").action(action(async (ctx) => (await load()).proxyDetailsCommand(ctx)));
  proxy
    .command("logs")
    .description("show the proxy's log")
    .option("-n, --lines <n>", "number of lines", "100")
    .option("-s, --since <time>", "since a time (2026-11-22T10:00:00) or a duration (10m)")
    .option("-g, --grep <text>", "only lines containing this")
    .option("-f, --follow", "keep showing new lines (primary proxy host) until Ctrl-C")
    .action(
      action<{ lines?: string; since?: string; grep?: string; follow?: boolean }>(async (ctx, o) =>
        (await load()).proxyLogsCommand(ctx, {
          lines: Number(o.lines ?? 100),
          ...(o.since === undefined ? {} : { since: o.since }),
          ...(o.grep === undefined ? {} : { grep: o.grep }),
          follow: o.follow === true,
        }),
      ),
    );
  proxy
    .command("remove")
    .description("remove the proxy, its certificates and files (refused while other services route through it)")
    .option("--force", "remove it even if other services still have routes")
    .action(action<{ force?: boolean }>(async (ctx, options) => (await load()).removeProxyCommand(ctx, options.force === true)));
}
