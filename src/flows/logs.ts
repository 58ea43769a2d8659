import { containerLogs, type LogOptions } from "../commands/app.js";
import type { Config } from "../config/model.js";
import { MultiHostError, RemoteCommandError } from "../errors.js";
import { LineBuffer } from "../transport/command-report.js";
import { namingHost, onHostsSettled } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import type { FlowContext } from "./context.js";
import { runHook } from "./hooks.js";
import { knownVersion, queryEverywhere, type Answer } from "./operation.js";

// `logs` of app roles, accessories and Traefik: `docker logs` on each host, every line prefixed by
// its host. `--follow` streams from every host until the containers stop or the user presses
// Ctrl-C, which hangs up the remote `docker logs` (its terminal closes).

/** A container whose log a host shows; `container` undefined when none runs (`absent` says why). */
export interface LogSource {
  label?: string | undefined;
  container: string | undefined;
  absent?: string;
}

export type LogSources = (session: HostSession) => Promise<LogSource[]>;

/** MRSK shows the last 100 lines unless --since or --grep narrows them; a follow starts with 10. */
export function logOptions(request: LogOptions): LogOptions {
  const lines = request.lines ?? (request.follow === true ? 10 : request.since !== undefined || request.grep !== undefined ? undefined : 100);
  return { ...request, lines };
}

export async function showLogs(ctx: FlowContext, config: Config, hosts: readonly string[], command: string, sources: LogSources, request: LogOptions): Promise<void> {
  const options = logOptions(request);
  if (options.follow === true) {
    await followLogs(ctx, config, hosts, command, sources, options);
    return;
  }
  await queryEverywhere(ctx, config, hosts, command, async (session) => {
    const answer: Answer = [];
    for (const source of await sources(session)) {
      const label = source.label === undefined ? {} : { label: source.label };
      if (source.container === undefined) {
        answer.push({ ...label, text: source.absent ?? "Nothing found" });
        continue;
      }
      const result = await session.run(containerLogs(source.container, options), { tolerate: true });
      // grep exits 1 when no line matches.
      if (result.exitCode === 1 && options.grep !== undefined && result.stdout === "") answer.push({ ...label, text: "Nothing found" });
      else if (result.exitCode !== 0) throw new RemoteCommandError({ ...result, command: result.line });
      else answer.push({ ...label, text: result.stdout === "" ? "(no log lines)" : result.stdout });
    }
    return answer;
  });
}

async function followLogs(ctx: FlowContext, config: Config, hosts: readonly string[], command: string, sources: LogSources, options: LogOptions): Promise<void> {
  await runHook(ctx, config, "pre-connect", { command, hosts, version: knownVersion(ctx, config) });
  ctx.output.info(`Following the logs on ${hosts.join(", ")}; press Ctrl-C to stop`);
  const outcomes = await onHostsSettled(await ctx.transport(), hosts, async (session) => {
    const found = await sources(session);
    for (const source of found) if (source.container === undefined) ctx.output.warn(source.absent ?? "Nothing to follow", session.host);
    await Promise.all(found.filter((s) => s.container !== undefined).map((s) => follow(ctx, session, s, options)));
  });
  const failures = outcomes.flatMap((o) => (o.ok ? [] : [namingHost(o.host, o.error)]));
  if (failures.length > 0) throw new MultiHostError(failures);
}

async function follow(ctx: FlowContext, session: HostSession, source: LogSource, options: LogOptions): Promise<void> {
  const lines = new LineBuffer();
  const prefix = source.label === undefined ? "" : `${source.label} | `;
  const show = (texts: string[]): void => {
    for (const text of texts) ctx.output.result(prefix + text, { host: session.host });
  };
  await session.stream(containerLogs(source.container!, options), {
    onStdout: (chunk) => show(lines.push(chunk)),
    onStderr: (chunk) => show(lines.push(chunk)),
    signal: ctx.signal,
  });
  show(lines.flush());
}
