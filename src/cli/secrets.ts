import { Option, type Command } from "commander";
import { action } from "./run.js";

// `mrsk envify` (MRSK 0.13) and `mrsk secrets fetch|extract|print` (Kamal 2). fetch and extract
// print secret values on purpose, as Kamal's do: they exist to be captured by `$(…)`.

export function registerSecretsCommands(program: Command): void {
  program
    .command("envify")
    .description("render .env.erb into .env (or .env.DEST.erb into .env.DEST with -d), mode 0600")
    .action(
      action(async (ctx) => {
        const { envify } = await import("../config/envify.js");
        const result = envify({ cwd: ctx.cwd, destination: ctx.options.destination, env: ctx.env });
        ctx.output.info(`Wrote ${result.written} from ${result.template} (mode 0600)`);
      }),
    );

  const secrets = program.command("secrets").description("fetch secrets from a password manager (for .kamal/secrets)");

  secrets
    .command("fetch")
    .description("fetch secrets from a vault and print them as JSON")
    .argument("[secrets...]", "names of the secrets (see docs/configuration.md for each adapter)")
    .requiredOption("-a, --adapter <adapter>", "1password, bitwarden, bitwarden-sm, lastpass, aws_secrets_manager, gcp, doppler, enpass or passbolt")
    .option("--account <account>", "the account identifier or username")
    .option("--from <from>", "a vault or folder to fetch the secrets from")
    .addOption(new Option("--inline").hideHelp())
    .action(
      action<{ adapter: string; account?: string; from?: string; inline?: boolean }>(async (ctx, options, args) => {
        const { fetchSecrets } = await import("../config/secrets/commands.js");
        const json = fetchSecrets(
          { adapter: options.adapter, account: options.account, from: options.from, names: args, inline: options.inline === true },
          { env: ctx.env, cwd: ctx.cwd, interactive: process.stdin.isTTY === true },
        );
        process.stdout.write(options.inline === true ? json : `${json}\n`);
      }),
    );

  secrets
    .command("extract")
    .description("print one secret from the JSON that `secrets fetch` printed")
    .argument("<name>", "the secret's name (or the last part of it)")
    .argument("<secrets>", "the JSON printed by `secrets fetch`")
    .addOption(new Option("--inline").hideHelp())
    .action(
      action<{ inline?: boolean }>(async (_ctx, options, args) => {
        const { extractSecret } = await import("../config/secrets/commands.js");
        const value = extractSecret(args[0]!, args[1]!);
        process.stdout.write(options.inline === true || value.endsWith("\n") ? value : `${value}\n`);
      }),
    );

  secrets
    .command("print")
    .description("show the secrets the secrets files resolve to (values masked unless --reveal)")
    .option("--reveal", "print the values themselves, as Kamal's `secrets print` does")
    .action(
      action<{ reveal?: boolean }>(async (ctx, options) => {
        const config = await ctx.config();
        if (config.secrets.fromEnvironment) {
          ctx.output.info(`No secrets files: this project reads its secrets from ${config.secrets.describeSearched()}`);
          return;
        }
        const entries = [...config.secrets.entries()];
        if (options.reveal === true) {
          process.stdout.write(entries.map(([key, value]) => `${key}=${value}\n`).join(""));
          return;
        }
        ctx.output.result(entries.map(([key, value]) => `${key}=${value === "" ? "" : "[REDACTED]"}`).join("\n"));
      }),
    );
}
