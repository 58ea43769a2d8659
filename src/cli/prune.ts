import type { Command } from "commander";
import { action } from "./run.js";
import { withSkipLock, type LockCliOptions } from "./operate-options.js";

// `mrsk prune all|images|containers`.

export function registerPruneCommands(program: Command): void {
  const prune = program.command("prune").description("remove old containers and images from the hosts");
  const scopes = [
    ["all", "stopped containers beyond retain_containers, then images no container uses"],
    ["images", "images no container uses (the latest tag is kept)"],
    ["containers", "stopped containers beyond the newest retain_containers (default 5)"],
  ] as const;
  for (const [scope, description] of scopes) {
    withSkipLock(prune.command(scope).description(description)).action(
      action<LockCliOptions>(async (ctx, options) => {
        const { prune: pruneHosts } = await import("../flows/host-commands.js");
        await pruneHosts(ctx, scope, options);
      }),
    );
  }
}
