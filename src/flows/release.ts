import { ensureDirectory, runOnce } from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import { ensureAppNetwork } from "../commands/network.js";
import { writeStdinToFile } from "../commands/files.js";
import { combine } from "../commands/shell.js";
import type { Config } from "../config/model.js";
import { envFileContent } from "../config/env.js";
import { MrskError } from "../errors.js";
import { auditTags } from "./audit.js";
import type { FlowContext } from "./context.js";

// `release_command` (migrations): once per deploy, on the primary host, in a one-off container of
// the new image with the primary role's environment, before any container switches.

export async function runReleaseCommand(ctx: FlowContext, config: Config, version: string, host: string): Promise<void> {
  const line = config.releaseCommand;
  if (line === undefined) return;
  const role = config.primaryRole;
  ctx.output.phase(`Running the release command on ${host}: ${line}`);
  const session = await (await ctx.transport()).session(host);
  const env = role.env(host);
  const secrets = env.secrets.length > 0 ? envFileContent(config.secretValues(env)) : undefined;
  const result = await session.run(
    combine(
      ...ensureAppNetwork(config),
      ...(secrets === undefined ? [] : [ensureDirectory(`${config.appDirectory}/env/roles`), writeStdinToFile(config.roleEnvFile(role), 0o600)]),
      recordAudit(config, auditTags(ctx, config, role.name), `Ran release command for version ${version}`),
      runOnce(config, role, host, version, line),
    ),
    { tolerate: true, echo: true, ...(secrets === undefined ? {} : { stdin: secrets }) },
  );
  if (result.exitCode !== 0) {
    throw new MrskError(`The release command failed on ${host} with exit code ${result.exitCode ?? "signal"}; nothing was switched\n${(result.stdout + result.stderr).trimEnd().replace(/^/gm, "    ")}`, {
      hint: "fix the command or the code it runs, then deploy again",
    });
  }
}
