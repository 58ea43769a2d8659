import type { Command } from "commander";
import { withSkipLock, type LockCliOptions } from "./operate-options.js";
import { action } from "./run.js";

export function registerServerCommands(program: Command): void {
  const server = program.command("server").description("run commands on the servers");

  server
    .command("exec")
    .description("run a shell command on every selected host, in parallel")
    .argument("<command...>", "the command line (quote it to keep pipes and && for the remote shell)")
    .action(
      action(async (ctx, _options, args) => {
        const { execOnServers } = await import("../flows/server.js");
        await execOnServers(ctx, args.join(" "));
      }),
    );

  withSkipLock(server.command("bootstrap").description("install Docker on the hosts where it is missing")).action(
    action<LockCliOptions>(async (ctx, options) => {
      const { bootstrap } = await import("../flows/host-commands.js");
      await bootstrap(ctx, options);
    }),
  );
}
