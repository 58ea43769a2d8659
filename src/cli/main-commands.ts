import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { EDITOR_SCHEMA_FILE } from "../config/editor-schema-file.js";
import { TOOL_VERSION } from "../version.js";
import { action } from "./run.js";

// Top-level commands that are not a group: version, init, config, docs, schema.

export function registerMainCommands(program: Command): void {
  program
    .command("version")
    .description("show the version of mrsk")
    .action(() => {
      process.stdout.write(`${TOOL_VERSION}\n`);
    });

  program
    .command("init")
    .description("create config/deploy.yml, .env and sample hooks in .mrsk/hooks")
    .action(
      action(async (ctx) => {
        const { initProject } = await import("../flows/init.js");
        const result = initProject(ctx.cwd);
        for (const file of result.created) ctx.output.info(`Created ${file}`);
        for (const file of result.skipped) ctx.output.info(`Kept existing ${file}`);
        ctx.output.info("Next: edit config/deploy.yml and .env, then run `mrsk setup`");
      }),
    );

  program
    .command("config")
    .description("show the resolved configuration (secrets redacted)")
    .action(
      action(async (ctx) => {
        const { describeConfig } = await import("../flows/describe-config.js");
        const described = describeConfig(await ctx.config());
        if (ctx.options.json === true) {
          ctx.output.structured(described);
          return;
        }
        const { stringify } = await import("yaml");
        ctx.output.result(stringify(described, { lineWidth: 0 }).trimEnd());
      }),
    );

  program
    .command("docs [section]")
    .description("show the configuration reference, or one section of it (e.g. `mrsk docs builder`)")
    .action(
      action(async (ctx, _options, args) => {
        const { docsText } = await import("../flows/docs.js");
        ctx.output.result(docsText(args[0]));
      }),
    );

  program
    .command("schema")
    .description("print the JSON Schema of config/deploy.yml (for editors: yaml-language-server)")
    .action(() => {
      process.stdout.write(readFileSync(EDITOR_SCHEMA_FILE, "utf8"));
    });
}
