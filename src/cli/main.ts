import { Command, InvalidArgumentError, Option } from "commander";
import { nameProblem } from "../config/names.js";
import { TOOL_VERSION } from "../version.js";
import { registerAccessoryCommands } from "./accessory.js";
import { registerAliases } from "./aliases.js";
import { registerAppCommands } from "./app.js";
import { registerBuildCommands } from "./build.js";
import { registerDeployCommands } from "./deploy.js";
import { registerDeploymentCommands } from "./details.js";
import { registerLockCommands } from "./lock.js";
import { registerMainCommands } from "./main-commands.js";
import { registerProxyCommands } from "./proxy.js";
import { registerPruneCommands } from "./prune.js";
import { registerRegistryCommands } from "./registry.js";
import { registerSecretsCommands } from "./secrets.js";
import { registerServerCommands } from "./server.js";
import { registerTraefikCommands } from "./traefik.js";

// The `mrsk` command line. Global options are those of MRSK (`-h` selects hosts, `--version` the
// app version), plus `--dry-run` and `--json`; `--help` is help.

export function buildProgram(): Command {
  const program = new Command("mrsk")
    .description("Deploy web apps in containers to your own servers, with zero downtime")
    .helpOption("--help", "show help")
    .addHelpCommand("help [command]", "show help for a command")
    .showHelpAfterError("(run `mrsk --help` for usage)")
    .option("-v, --verbose", "show every command and its output")
    // Quiet contradicts both: a dry run exists to print its plan.
    .addOption(new Option("-q, --quiet", "show only errors").conflicts(["verbose", "dryRun"]))
    .option("--version <version>", "act on this app version instead of the current git commit")
    .option("-p, --primary", "act on the primary host only")
    .option("-h, --hosts <hosts>", "act on these hosts only (comma-separated, * wildcards)")
    .option("-r, --roles <roles>", "act on the hosts of these roles only (comma-separated, * wildcards)")
    .option("-c, --config-file <path>", "configuration file (default: config/deploy.yml)")
    .option("-d, --destination <name>", "destination: also reads config/deploy.<name>.yml and .env.<name>", destinationName)
    .option("-H, --skip-hooks", "do not run hooks")
    .option("--dry-run", "print the commands each host would run, change nothing")
    .option("--json", "write events as NDJSON (one JSON object per line)");

  registerMainCommands(program);
  registerDeployCommands(program);
  registerBuildCommands(program);
  registerServerCommands(program);
  registerLockCommands(program);
  registerProxyCommands(program);
  registerAppCommands(program);
  registerAccessoryCommands(program);
  registerTraefikCommands(program);
  registerPruneCommands(program);
  registerRegistryCommands(program);
  registerSecretsCommands(program);
  registerDeploymentCommands(program);
  registerAliases(program);

  // Every subcommand keeps `-h` for --hosts, as the program does.
  const freeHelpFlag = (command: Command): void => {
    for (const sub of command.commands) {
      sub.helpOption("--help", "show help");
      freeHelpFlag(sub);
    }
  };
  freeHelpFlag(program);
  return program;
}

/** Every command that takes `-d` (envify and secrets too, which load no configuration) gets a name, never a path. */
function destinationName(value: string): string {
  const problem = nameProblem(value, "destinations are names like staging or production");
  if (problem !== undefined) throw new InvalidArgumentError(`It ${problem.message} (${problem.hint}).`);
  return value;
}

export async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && argv[0] === "version") {
    process.stdout.write(`${TOOL_VERSION}\n`);
    return;
  }
  await buildProgram().parseAsync(argv, { from: "user" });
}
