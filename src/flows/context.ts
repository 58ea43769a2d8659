import type { Config } from "../config/model.js";
import type { Selection } from "../config/selection.js";
import type { Output } from "../output/output.js";
import type { HostSession, Transport } from "../transport/types.js";

/** What a flow needs from the command line layer; the CLI's Context provides it, tests may too. */
export interface FlowContext {
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  readonly output: Output;
  readonly dryRun: boolean;
  /** Aborted when the user interrupts (SIGINT/SIGTERM): flows roll back and release the lock. */
  readonly signal: AbortSignal;
  /** Stops the flow as an interrupt does (it rolls back), e.g. when the deploy lock was lost. */
  abort(reason: Error): void;
  readonly options: { readonly skipHooks?: boolean; readonly version?: string; readonly destination?: string; readonly roles?: string; readonly hosts?: string };
  config(): Promise<Config>;
  selection(): Promise<Selection>;
  transport(): Promise<Transport>;
  /** This machine, for local steps (registry login, build, hooks); only printed with --dry-run. */
  local(): Promise<HostSession>;
}
