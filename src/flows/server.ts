import { recordAudit } from "../commands/audit.js";
import { userCommand } from "../commands/server.js";
import { MultiHostError, RemoteCommandError } from "../errors.js";
import { onHostsSettled } from "../transport/fanout.js";
import type { FlowContext } from "./context.js";
import { auditTags } from "./audit.js";

/** `server exec`: the user's command on every selected host in parallel, each host's output shown. */
export async function execOnServers(ctx: FlowContext, line: string): Promise<void> {
  const config = await ctx.config();
  const { hosts } = await ctx.selection();
  const transport = await ctx.transport();
  const tags = auditTags(ctx, config);

  const results = await onHostsSettled(transport, hosts, async (session) => {
    await session.run(recordAudit(config, tags, `Executed cmd '${line}' on ${session.host}`));
    return session.run(userCommand(line), { tolerate: true });
  });

  const failures: Error[] = [];
  for (const outcome of results) {
    if (!outcome.ok) {
      failures.push(outcome.error);
      continue;
    }
    const result = outcome.value;
    const text = (result.stdout + result.stderr).replace(/\n$/, "");
    ctx.output.result(text, { host: result.host });
    if (result.exitCode !== 0) {
      failures.push(
        new RemoteCommandError({ host: result.host, command: result.line, exitCode: result.exitCode, signal: result.signal, stderr: result.stderr, stdout: result.stdout }),
      );
    }
  }
  if (failures.length > 0) throw new MultiHostError(failures);
}
