import type { Command } from "commander";
import { action } from "./run.js";

// `mrsk build …`: build, push and pull the image outside a deploy, and manage the buildx builder.

export function registerBuildCommands(program: Command): void {
  const build = program.command("build").description("build and deliver the image");
  const flows = () => import("../flows/build-commands.js");
  build.command("push").description("build the image and push it to the registry").action(action(async (ctx) => (await flows()).pushImage(ctx)));
  build.command("pull").description("pull the image on every selected host").action(action(async (ctx) => (await flows()).pullImage(ctx)));
  build.command("deliver").description("build and push, then pull on every selected host").action(action(async (ctx) => (await flows()).deliverImage(ctx)));
  build.command("create").description("create the buildx builder").action(action(async (ctx) => (await flows()).createBuilder(ctx)));
  build.command("remove").description("remove the buildx builder").action(action(async (ctx) => (await flows()).removeBuilder(ctx)));
  build.command("details").description("show the buildx builders").action(action(async (ctx) => (await flows()).showBuilder(ctx)));
}
