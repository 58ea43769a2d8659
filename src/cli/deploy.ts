import type { Command } from "commander";
import { action } from "./run.js";

// setup, deploy, redeploy, rollback.

interface DeployCliOptions {
  skipPush?: boolean;
  lockWait?: string | boolean;
  /** `--no-cache`, as commander reports it. */
  cache?: boolean;
}

/** `--lock-wait` alone waits 15 minutes, as Kamal's default lock-wait timeout; `--lock-wait=N` waits N seconds. */
function lockWaitSeconds(value: string | boolean | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 900;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`--lock-wait takes a number of seconds, not ${JSON.stringify(value)}`);
  return seconds;
}

export function registerDeployCommands(program: Command): void {
  const withDeployOptions = (command: Command): Command =>
    command
      .option("-P, --skip-push", "skip the build: deploy an image already in the registry")
      .option("--no-cache", "build every step again, without Docker's build cache")
      .option("--lock-wait [seconds]", "wait for a held deploy lock (default 900 s) instead of failing");

  withDeployOptions(program.command("setup").description("install Docker where missing, boot accessories, then deploy")).action(
    action<DeployCliOptions>(async (ctx, options) => {
      const { setup } = await import("../flows/deploy.js");
      await setup(ctx, { skipPush: options.skipPush === true, noCache: options.cache === false, ...wait(options), signal: ctx.signal });
    }),
  );

  withDeployOptions(program.command("deploy").description("build, push and deploy the app to every host, with zero downtime")).action(
    action<DeployCliOptions>(async (ctx, options) => {
      const { deploy } = await import("../flows/deploy.js");
      await deploy(ctx, { skipPush: options.skipPush === true, noCache: options.cache === false, ...wait(options), signal: ctx.signal });
    }),
  );

  withDeployOptions(program.command("redeploy").description("deploy without booting the proxy or pruning (faster, for an app already set up)")).action(
    action<DeployCliOptions>(async (ctx, options) => {
      const { redeploy } = await import("../flows/deploy.js");
      await redeploy(ctx, { skipPush: options.skipPush === true, noCache: options.cache === false, ...wait(options), signal: ctx.signal });
    }),
  );

  program
    .command("rollback")
    .description("boot an earlier version still present on every host (by default the one that served before the current one)")
    .argument("[version]", "the version to go back to (see `mrsk app versions`)")
    .option("--lock-wait [seconds]", "wait for a held deploy lock (default 900 s) instead of failing")
    .action(
      action<DeployCliOptions>(async (ctx, options, args) => {
        const { rollback } = await import("../flows/deploy.js");
        await rollback(ctx, args[0], { ...wait(options), signal: ctx.signal });
      }),
    );
}

function wait(options: DeployCliOptions): { lockWaitSeconds?: number } {
  const seconds = lockWaitSeconds(options.lockWait);
  return seconds === undefined ? {} : { lockWaitSeconds: seconds };
}
