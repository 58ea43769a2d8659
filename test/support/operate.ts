import type { Config } from "../../src/config/model.js";
import { ConnectionError } from "../../src/errors.js";
import { DryRunTransport } from "../../src/transport/dry-run.js";
import type { HostSession, Transport } from "../../src/transport/types.js";
import { TestFlowContext } from "./flow-context.js";

// A dry-run context whose hosts answer the questions the operating commands ask (which containers
// run, which image the latest tag is, who else uses Traefik), for asserting per-host sequences.

export interface HostState {
  /** The service's containers, newest first: name, state, role. */
  containers?: Array<[string, string, string]>;
  /** Running containers made from the latest image. */
  fromLatest?: string[];
  /** The app's images: id, tag. */
  images?: Array<[string, string]>;
  /** `docker ps --all` lines with labels (see listLabelledContainers). */
  labelled?: string[];
  /** Accessory containers that exist, by container name, with their state. */
  accessories?: Record<string, string>;
}

export type ContextOptions = ConstructorParameters<typeof TestFlowContext>[1] & { unreachable?: string[] };

export function operateContext(config: Config, state: Record<string, HostState> = {}, options: ContextOptions = {}): TestFlowContext {
  // Commands are reported to (and redacted by) the context's output, as the CLI's transports are.
  let output: TestFlowContext["output"] | undefined;
  const dryRun = new DryRunTransport({ redact: (s) => output?.redactor.redact(s) ?? s, listener: (event) => output?.emit(event) });
  const transport = options.unreachable === undefined ? dryRun : new UnreachableHosts(dryRun, options.unreachable);
  const ctx = new TestFlowContext(config, { dryRun: false, ...options, transport });
  output = ctx.output;
  const repository = config.repository;
  for (const host of config.allHosts) {
    const s = state[host] ?? {};
    dryRun.answer(host, (l) => l.includes(`docker ps --all --filter label=service=${config.service} `), (s.containers ?? []).map(([n, st, r]) => `${n}\t${st}\t${r}\t${repository}:x\t2026-01-01`).join("\n"));
    dryRun.answer(host, (l) => l.includes(" --filter ancestor="), (s.fromLatest ?? []).join("\n"));
    dryRun.answer(host, (l) => l.startsWith(`docker image ls ${repository} --format '{{.ID}} {{.Tag}}'`), (s.images ?? []).map(([id, tag]) => `${id} ${tag}`).join("\n"));
    dryRun.answer(host, (l) => l.startsWith(`docker image ls ${repository} --format '{{.Tag}}'`), (s.images ?? []).map(([, tag]) => tag).join("\n"));
    dryRun.answer(host, (l) => l.startsWith(`docker image ls ${repository} --format '{{.Repository}}:{{.Tag}}'`), (s.images ?? []).map(([, tag]) => `${repository}:${tag}`).join("\n"));
    dryRun.answer(host, (l) => l.startsWith("docker ps --all --format '{{.Names}}"), (s.labelled ?? []).join("\n"));
    for (const accessory of config.accessories) {
      const st = s.accessories?.[accessory.service];
      dryRun.answer(host, (l) => l === `docker container inspect --format '{{.State.Status}}' ${accessory.service}`, st ?? "", st === undefined ? 1 : 0);
    }
  }
  ctx.env.USER = "deployer";
  return ctx;
}

/** Makes lines comparable: audit times and performers, the lock's base64 details. */
export function normalize(line: string): string {
  return line.replace(/\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[[^\]]+\]/g, "[TIME] [USER]").replace(/echo [A-Za-z0-9+/=]{40,} > /, "echo DETAILS > ").replace(/owner\.[0-9a-f]{16}/g, "owner.TOKEN");
}

export function commandsOn(ctx: TestFlowContext, host: string): string[] {
  return dryRunOf(ctx)
    .recorded(host)
    .map((r) => normalize(r.kind === "upload" ? `upload ${r.path} (mode ${r.mode.toString(8)})` : r.line));
}

export function dryRunOf(ctx: TestFlowContext): DryRunTransport {
  const transport = ctx.transportImpl;
  return transport instanceof UnreachableHosts ? transport.inner : (transport as DryRunTransport);
}

/** What the user was shown: result texts, with their host and label. */
export function results(ctx: TestFlowContext): string[] {
  return ctx.events.flatMap((e) => (e.type === "result" ? [`${e.host === undefined ? "" : `[${e.host}] `}${e.label === undefined ? "" : `${e.label}: `}${e.text}`] : []));
}

export const LOCK = "mkdir -p .mrsk && mkdir .mrsk/lock-app && echo DETAILS > .mrsk/lock-app/details && touch .mrsk/lock-app/heartbeat .mrsk/lock-app/owner.TOKEN .mrsk/lock-app/ttl.300";
export const UNLOCK = "test -e .mrsk/lock-app/owner.TOKEN && rm -rf .mrsk/lock-app";
export const audit = (message: string, role?: string): string =>
  `mkdir -p .mrsk/app && echo '[TIME] [USER] ${role === undefined ? "" : `[${role}] `}${message.replaceAll("'", "'\\''")}' >> .mrsk/app/audit.log`;

/** A transport on which some hosts cannot be reached. */
class UnreachableHosts implements Transport {
  readonly kind = "dry-run";

  constructor(
    readonly inner: DryRunTransport,
    private readonly unreachable: readonly string[],
  ) {}

  async session(host: string): Promise<HostSession> {
    if (this.unreachable.includes(host)) throw new ConnectionError(host, "connect ETIMEDOUT");
    return this.inner.session(host);
  }

  async close(): Promise<void> {}
}
