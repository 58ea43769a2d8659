import type { Config } from "../../src/config/model.js";
import { select, type Filters, type Selection } from "../../src/config/selection.js";
import type { FlowContext } from "../../src/flows/context.js";
import type { OutputEvent } from "../../src/output/events.js";
import { Output } from "../../src/output/output.js";
import { Redactor } from "../../src/output/redact.js";
import { DryRunTransport } from "../../src/transport/dry-run.js";
import type { HostSession, Transport } from "../../src/transport/types.js";

/** A flow context over a loaded config and a dry-run transport, collecting every event. */
export class TestFlowContext implements FlowContext {
  readonly cwd: string;
  readonly env: Record<string, string | undefined> = {};
  readonly events: OutputEvent[] = [];
  readonly output: Output;
  readonly dryRun: boolean;
  readonly options: { skipHooks?: boolean; version?: string };
  readonly transportImpl: Transport;
  private readonly interrupt = new AbortController();

  constructor(
    private readonly loaded: Config,
    options: { cwd?: string; filters?: Filters; transport?: Transport; dryRun?: boolean; version?: string } = {},
  ) {
    this.cwd = options.cwd ?? "/nonexistent-project";
    const redactor = new Redactor();
    for (const [, value] of loaded.secrets.entries()) redactor.register(value);
    redactor.showHosts(loaded.namedHosts);
    this.output = new Output({ format: "json", render: (event) => this.events.push(event) }, redactor, "verbose");
    this.dryRun = options.dryRun ?? true;
    this.options = { skipHooks: true, ...(options.version === undefined ? {} : { version: options.version }) };
    this.filters = options.filters ?? {};
    this.transportImpl = options.transport ?? new DryRunTransport({ redact: redactor.redact, listener: this.output.emit });
  }

  private readonly filters: Filters;

  get signal(): AbortSignal {
    return this.interrupt.signal;
  }

  abort(reason: Error): void {
    this.interrupt.abort(reason);
  }

  async config(): Promise<Config> {
    return this.loaded;
  }

  async selection(): Promise<Selection> {
    return select(this.loaded, this.filters);
  }

  async transport(): Promise<Transport> {
    return this.transportImpl;
  }

  async local(): Promise<HostSession> {
    return this.transportImpl.session("localhost");
  }

  /** Recorded command lines per host, in order (dry-run transport only). */
  commands(host: string): string[] {
    return (this.transportImpl as DryRunTransport)
      .recorded(host)
      .map((r) => (r.kind === "upload" ? `upload ${r.path} (mode ${r.mode.toString(8)})` : r.line));
  }
}
