import type { Command } from "commander";
import { action } from "./run.js";

// `mrsk build …`: build, push and pull the image outside a deploy, and manage the buildx builder.

/** Commander turns `--no-cache` into `cache: false`. */
interface BuildCliOptions {
  cache?: boolean;
}

export function registerBuildCommands(program: Command): void {
  const build = program.command("build").description("build and deliver the image");
  const flows = () => import("../flows/build-commands.js");
  build
    .command("push")
    .description("build the image and push it to the registry")
    .option("--no-cache", "build every step again, without Docker's build cache")
    .action(action<BuildCliOptions>(async (ctx, options) => (await flows()).pushImage(ctx, { noCache: options.cache === false })));
  build.command("pull").description("pull the image on every selected host").action(action(async (ctx) => (await flows()).pullImage(ctx)));
  build
    .command("deliver")
    .description("build and push, then pull on every selected host")
    .option("--no-cache", "build every step again, without Docker's build cache")
    .action(action<BuildCliOptions>(async (ctx, options) => (await flows()).deliverImage(ctx, { noCache: options.cache === false })));
  build.command("create").description("create the buildx builder the config asks for and start it").action(action(async (ctx) => (await flows()).createBuilder(ctx)));
  build.command("remove").description("remove the buildx builder (and its SSH context)").action(action(async (ctx) => (await flows()).removeBuilder(ctx)));
  build.command("details").description("show the builder: name, driver, endpoint, platforms").action(action(async (ctx) => (await flows()).showBuilder(ctx)));
}
