import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/model.js";
import { MrskError, tail } from "../errors.js";
import type { FlowContext } from "./context.js";
import { currentPerformer } from "./identity.js";

// Hooks are executables in `hooks_path` run on this machine at fixed points of a command. A hook
// that fails stops the command (its output is shown); `-H` skips them all.

export type HookName =
  | "pre-connect"
  | "pre-build"
  | "pre-deploy"
  | "post-deploy"
  | "pre-app-boot"
  | "post-app-boot"
  | "pre-proxy-reboot"
  | "post-proxy-reboot"
  | "docker-setup";

/** Hooks that also get every secret in their environment, as Kamal 2 passes them. */
const WITH_SECRETS: ReadonlySet<HookName> = new Set(["pre-connect", "pre-deploy", "post-deploy"]);

export interface HookDetails {
  command: string;
  subcommand?: string;
  hosts: readonly string[];
  roles?: readonly string[];
  version?: string;
  runtimeSeconds?: number;
}

export class HookError extends MrskError {
  constructor(hook: HookName, exitCode: number | null, output: string) {
    super(`Hook \`${hook}\` failed with exit code ${exitCode ?? "signal"}${output.trim() === "" ? "" : `:\n${output}`}`, {
      hint: "fix what it reports, or run with -H to skip hooks",
    });
  }
}

/** MRSK_* (and KAMAL_* for Kamal configs) variables describing the command. */
export function hookEnv(ctx: FlowContext, config: Config, details: HookDetails): Record<string, string> {
  const performer = currentPerformer(ctx.env, ctx.cwd);
  const version = details.version ?? config.version;
  const values: Record<string, string | undefined> = {
    RECORDED_AT: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    PERFORMER: performer.name,
    VERSION: version,
    SERVICE: config.service,
    SERVICE_VERSION: `${config.service}@${version.includes("_") ? version : version.slice(0, 7)}`,
    DESTINATION: config.destination,
    HOSTS: details.hosts.join(","),
    ROLES: details.roles?.join(","),
    COMMAND: details.command,
    SUBCOMMAND: details.subcommand,
    RUNTIME: details.runtimeSeconds === undefined ? undefined : String(Math.round(details.runtimeSeconds)),
  };
  const prefixes = config.era === "kamal" ? ["MRSK_", "KAMAL_"] : ["MRSK_"];
  const env: Record<string, string> = {};
  for (const prefix of prefixes) for (const [k, v] of Object.entries(values)) if (v !== undefined) env[prefix + k] = v;
  return env;
}

export async function runHook(ctx: FlowContext, config: Config, hook: HookName, details: HookDetails): Promise<void> {
  if (ctx.options.skipHooks === true) return;
  const path = join(ctx.cwd, config.hooksPath, hook);
  if (!existsSync(path)) return;
  if (ctx.dryRun) {
    ctx.output.info(`Would run the ${hook} hook (${join(config.hooksPath, hook)})`);
    return;
  }

  ctx.output.phase(`Running the ${hook} hook`);
  const secrets = config.era === "kamal" && WITH_SECRETS.has(hook) ? Object.fromEntries(config.secrets.entries()) : {};
  const session = await ctx.local();
  const result = await session.run([path], {
    tolerate: true,
    echo: true,
    env: { ...ctx.env, ...secrets, ...hookEnv(ctx, config, details) },
    cwd: ctx.cwd,
  });
  if (result.exitCode !== 0) throw new HookError(hook, result.exitCode, tail(result.stdout + result.stderr, 30));
}
