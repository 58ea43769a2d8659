import type { Command } from "commander";
import { action } from "./run.js";

// `mrsk registry login|logout`.

export function registerRegistryCommands(program: Command): void {
  const registry = program.command("registry").description("log in to or out of the registry");
  registry
    .command("login")
    .description("log in to the registry on this machine and on the hosts")
    .option("-L, --skip-local", "not on this machine")
    .option("-R, --skip-remote", "not on the hosts")
    .action(
      action<{ skipLocal?: boolean; skipRemote?: boolean }>(async (ctx, options) => {
        const { registryLogin } = await import("../flows/host-commands.js");
        await registryLogin(ctx, options);
      }),
    );
  registry
    .command("logout")
    .description("log out of the registry on the hosts")
    .action(
      action(async (ctx) => {
        const { registryLogout } = await import("../flows/host-commands.js");
        await registryLogout(ctx);
      }),
    );
}
