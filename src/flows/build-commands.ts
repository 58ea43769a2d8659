import { builderDetails, createBuilder as createBuilderCommand, removeBuilder as removeBuilderCommand, type BuildxBuilder } from "../commands/builder.js";
import type { FlowContext } from "./context.js";
import { buildAndPush, configuredBuilder, loginEverywhere, pullEverywhere, readyBuilder, type BuildOptions } from "./image.js";
import { mutate, selectedAppHosts } from "./operation.js";

// `mrsk build …`: the image on its own, outside a deploy.

/** Builds and pushes the current version (MRSK takes the deploy lock for it too). */
export async function pushImage(ctx: FlowContext, options: BuildOptions = {}): Promise<void> {
  const config = await ctx.config();
  const version = config.version;
  await mutate(ctx, config, [], { command: "build push", version }, async () => {
    await loginEverywhere(ctx, config, [], { local: true });
    await buildAndPush(ctx, config, version, [], options);
  });
}

/** Pulls the current version on every selected app host. */
export async function pullImage(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const version = config.version;
  const hosts = selectedAppHosts(config, await ctx.selection());
  await mutate(ctx, config, hosts, { command: "build pull", version }, async () => {
    await loginEverywhere(ctx, config, hosts, { local: false });
    await pullEverywhere(ctx, config, version, hosts, { checkLabel: false });
  });
}

/** Push, then pull everywhere: the image is ready on every host for `app boot` or a rollback. */
export async function deliverImage(ctx: FlowContext, options: BuildOptions = {}): Promise<void> {
  const config = await ctx.config();
  const version = config.version;
  const hosts = selectedAppHosts(config, await ctx.selection());
  await mutate(ctx, config, hosts, { command: "build deliver", version }, async () => {
    await loginEverywhere(ctx, config, hosts, { local: true });
    await buildAndPush(ctx, config, version, hosts, options);
    await pullEverywhere(ctx, config, version, hosts, { checkLabel: true });
  });
}

/** Creates the config's builder (and its SSH context) and starts its BuildKit. */
export async function createBuilder(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const builder = await configuredBuilder(ctx, config);
  if (createBuilderCommand(config, builder) === undefined) {
    ctx.output.result(`The docker driver builds with the Docker of context ${builder.name}: there is no builder to create`);
    return;
  }
  await readyBuilder(ctx, config);
  ctx.output.result(`Builder ${builder.name} (${builder.driver} driver${builder.remote === undefined ? "" : ` on ${builder.remote}`}) is ready`);
}

/** Removes the config's builder and its SSH context. */
export async function removeBuilder(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const builder = await configuredBuilder(ctx, config);
  const remove = removeBuilderCommand(builder);
  if (remove === undefined) {
    ctx.output.result(`The docker driver builds with the Docker of context ${builder.name}: there is no builder to remove`);
    return;
  }
  await (await ctx.local()).run(remove, { echo: true });
}

/** The config's builder (name, driver, endpoint, platforms), then what Docker and buildx report. */
export async function showBuilder(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const builder = await configuredBuilder(ctx, config);
  const result = await (await ctx.local()).run(builderDetails(builder), { tolerate: true });
  ctx.output.result([...describeBuilder(builder), "", (result.stdout + result.stderr).trimEnd()].join("\n"), { data: { builder } });
}

export function describeBuilder(builder: BuildxBuilder): string[] {
  const endpoint = builder.remote === undefined ? "this machine's Docker" : builder.place === "hybrid" ? `this machine's Docker and ${builder.remote}` : builder.remote;
  const platforms = builder.platforms.length > 0 ? builder.platforms.join(", ") : "the builder's own";
  return [`Builder: ${builder.name}`, `Driver: ${builder.driver}`, `Endpoint: ${endpoint}${builder.context === undefined ? "" : ` (Docker context ${builder.context})`}`, `Platforms: ${platforms}`];
}
