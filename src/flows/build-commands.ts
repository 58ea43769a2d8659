import { buildxDetails, createBuildxBuilder, removeBuildxBuilder } from "../commands/builder.js";
import type { FlowContext } from "./context.js";
import { buildAndPush, loginEverywhere, pullEverywhere } from "./image.js";
import { mutate, selectedAppHosts } from "./operation.js";

// `mrsk build …`: the image on its own, outside a deploy.

/** Builds and pushes the current version (MRSK takes the deploy lock for it too). */
export async function pushImage(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const version = config.version;
  await mutate(ctx, config, [], { command: "build push", version }, async () => {
    await loginEverywhere(ctx, config, [], { local: true });
    await buildAndPush(ctx, config, version, []);
  });
}

/** Pulls the current version on every selected app host. */
export async function pullImage(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const version = config.version;
  const hosts = selectedAppHosts(config, await ctx.selection());
  await mutate(ctx, config, hosts, { command: "build pull", version }, async () => {
    await loginEverywhere(ctx, config, hosts, { local: false });
    await pullEverywhere(ctx, config, version, hosts);
  });
}

/** Push, then pull everywhere: the image is ready on every host for `app boot` or a rollback. */
export async function deliverImage(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const version = config.version;
  const hosts = selectedAppHosts(config, await ctx.selection());
  await mutate(ctx, config, hosts, { command: "build deliver", version }, async () => {
    await loginEverywhere(ctx, config, hosts, { local: true });
    await buildAndPush(ctx, config, version, hosts);
    await pullEverywhere(ctx, config, version, hosts);
  });
}

export async function createBuilder(ctx: FlowContext): Promise<void> {
  await (await ctx.local()).run(createBuildxBuilder(await ctx.config()), { echo: true });
}

export async function removeBuilder(ctx: FlowContext): Promise<void> {
  await (await ctx.local()).run(removeBuildxBuilder(await ctx.config()), { echo: true });
}

export async function showBuilder(ctx: FlowContext): Promise<void> {
  const config = await ctx.config();
  const result = await (await ctx.local()).run(buildxDetails(config), { tolerate: true });
  ctx.output.result((result.stdout + result.stderr).trimEnd());
}
