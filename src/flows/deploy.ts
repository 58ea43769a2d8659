import { tagLatest } from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import { combine } from "../commands/shell.js";
import type { Config } from "../config/model.js";
import type { Selection } from "../config/selection.js";
import { checkVersion } from "../config/version.js";
import { onHosts } from "../transport/fanout.js";
import { bootAccessories } from "./accessory.js";
import { auditTags } from "./audit.js";
import { bootFleet } from "./boot.js";
import { bootstrapServers } from "./bootstrap.js";
import { ensureImageEverywhere } from "./current.js";
import type { FlowContext } from "./context.js";
import { runHook, type HookDetails } from "./hooks.js";
import { buildAndPush, loginEverywhere, pullEverywhere } from "./image.js";
import { proxyDriver } from "./proxy/select.js";
import { pruneEverywhere } from "./prune.js";
import { runReleaseCommand } from "./release.js";
import { connectAll, selectedAppHosts } from "./operation.js";
import type { LockState } from "./lock.js";
import { cleanUpAfterDeadDeploy } from "./takeover.js";
import { previousVersion } from "./versions.js";
import { withLock } from "./with-lock.js";

// setup, deploy, redeploy and rollback, as runbooks. Everything that changes a host happens under
// the deploy lock, after every host was reached.

export interface DeployOptions {
  skipPush: boolean;
  /** `--no-cache`: the build reruns every step. */
  noCache?: boolean;
  lockWaitSeconds?: number;
  signal?: AbortSignal;
}

type Mode = "setup" | "deploy" | "redeploy";

export async function setup(ctx: FlowContext, options: DeployOptions): Promise<void> {
  await deployVersion(ctx, options, "setup");
}

export async function deploy(ctx: FlowContext, options: DeployOptions): Promise<void> {
  await deployVersion(ctx, options, "deploy");
}

export async function redeploy(ctx: FlowContext, options: DeployOptions): Promise<void> {
  await deployVersion(ctx, options, "redeploy");
}

async function deployVersion(ctx: FlowContext, options: DeployOptions, mode: Mode): Promise<void> {
  const started = Date.now();
  const config = await ctx.config();
  const version = config.version;
  const selection = await ctx.selection();
  const appHosts = selectedAppHosts(config, selection);
  const hook = (extra: Partial<HookDetails> = {}): HookDetails => ({ command: mode, ...hookScope(ctx, selection), version, ...extra });

  await runHook(ctx, config, "pre-connect", hook());
  await connectAll(ctx, selection.hosts);
  const driver = proxyDriver(config);
  const onTakeover = (previous: LockState): Promise<void> => cleanUpAfterDeadDeploy(ctx, config, previous, { hosts: appHosts, roles: selection.roles, driver });
  await withLock(ctx, config, { version, ...lockWait(options), onTakeover }, async () => {
    // An interrupt takes effect between steps; a boot in progress rolls itself back.
    const checkpoint = (): void => options.signal?.throwIfAborted();
    if (mode === "setup") await bootstrapServers(ctx, config, selection.hosts);
    checkpoint();
    await loginEverywhere(ctx, config, selection.hosts, { local: !options.skipPush });
    checkpoint();
    if (!options.skipPush) await buildAndPush(ctx, config, version, selection.hosts, { noCache: options.noCache === true });
    checkpoint();
    await pullEverywhere(ctx, config, version, appHosts, { checkLabel: !options.skipPush });
    checkpoint();
    await runHook(ctx, config, "pre-deploy", hook());
    checkpoint();

    const proxyHosts = config.proxyHosts.filter((h) => appHosts.includes(h));
    if (mode !== "redeploy") await driver.ensureRunning(ctx, config, proxyHosts);
    else await driver.refreshRoutes?.(ctx, config, proxyHosts);
    if (mode === "setup") await bootAccessories(ctx, config, config.accessories, selection.hosts);
    checkpoint();

    await bootFleet(ctx, config, {
      version,
      hosts: appHosts,
      roles: selection.roles,
      driver,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      beforeStart: () => runReleaseCommand(ctx, config, version, appHosts.includes(selection.primaryHost) ? selection.primaryHost : appHosts[0]!),
    });
    await Promise.all([
      markLatest(ctx, config, version, appHosts),
      mode === "redeploy" ? undefined : pruneEverywhere(ctx, config, appHosts, { containers: true, images: true }),
    ]);
  });
  await runHook(ctx, config, "post-deploy", hook({ runtimeSeconds: (Date.now() - started) / 1000 }));
  ctx.output.emit({ type: "done", ok: true, durationMs: Date.now() - started });
}

/**
 * `rollback VERSION`: boots a version whose image is still on every host. Nothing is pulled.
 * Without a version, the one that served before the current one on every selected host.
 */
export async function rollback(ctx: FlowContext, requested: string | undefined, options: Omit<DeployOptions, "skipPush" | "noCache">): Promise<void> {
  if (requested !== undefined) checkVersion(requested);
  const started = Date.now();
  const config = await ctx.config();
  const selection = await ctx.selection();
  const appHosts = selectedAppHosts(config, selection);
  let version = requested ?? "";
  const hook = (extra: Partial<HookDetails> = {}): HookDetails => ({ command: "rollback", ...hookScope(ctx, selection), version, ...extra });

  // pre-connect runs before mrsk asks the hosts which version served before: MRSK_VERSION is then empty.
  await runHook(ctx, config, "pre-connect", hook());
  await connectAll(ctx, selection.hosts);
  if (requested === undefined) version = await previousVersion(ctx, config, appHosts, selection.roles);
  const driver = proxyDriver(config);
  const onTakeover = (previous: LockState): Promise<void> => cleanUpAfterDeadDeploy(ctx, config, previous, { hosts: appHosts, roles: selection.roles, driver });
  await withLock(ctx, config, { version, ...lockWait(options), onTakeover }, async () => {
    await ensureImageEverywhere(ctx, config, version, appHosts);
    await runHook(ctx, config, "pre-deploy", hook());
    options.signal?.throwIfAborted();
    await driver.refreshRoutes?.(ctx, config, config.proxyHosts.filter((h) => appHosts.includes(h)));
    await bootFleet(ctx, config, {
      version,
      hosts: appHosts,
      roles: selection.roles,
      driver,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    await markLatest(ctx, config, version, appHosts);
  });
  await runHook(ctx, config, "post-deploy", hook({ runtimeSeconds: (Date.now() - started) / 1000 }));
  ctx.output.emit({ type: "done", ok: true, durationMs: Date.now() - started });
}

/** Hosts for MRSK_HOSTS, and roles for MRSK_ROLES when `--roles` narrowed them. */
function hookScope(ctx: FlowContext, selection: Selection): Pick<HookDetails, "hosts" | "roles"> {
  return { hosts: selection.hosts, ...(ctx.options.roles === undefined ? {} : { roles: selection.roles.map((r) => r.name) }) };
}

function lockWait(options: { lockWaitSeconds?: number; signal?: AbortSignal }): { waitSeconds?: number; signal?: AbortSignal } {
  return {
    ...(options.lockWaitSeconds === undefined ? {} : { waitSeconds: options.lockWaitSeconds }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}

async function markLatest(ctx: FlowContext, config: Config, version: string, hosts: readonly string[]): Promise<void> {
  const tags = auditTags(ctx, config);
  await onHosts(await ctx.transport(), hosts, (session) =>
    session.run(combine(recordAudit(config, tags, `Tagging ${config.imageRef(version)} as the latest image`), tagLatest(config, version))),
  );
}
