import type { Command } from "commander";
import { MrskError, MultiHostError } from "../errors.js";
import type { Output } from "../output/output.js";
import { InterruptedError } from "../flows/with-lock.js";
import { Context, type GlobalOptions } from "./context.js";

// Runs one command's action: builds the context from the parsed options, maps errors to messages
// and exit codes, and always closes connections.

export type Action<O> = (ctx: Context, options: O, args: string[]) => Promise<void>;

export interface ActionSettings {
  /** What the first SIGINT/SIGTERM tells the user; the default speaks of rolling back and the lock. */
  interruptNotice?: (signal: NodeJS.Signals) => string;
}

export function action<O = Record<string, unknown>>(fn: Action<O>, settings: ActionSettings = {}) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const options = command.optsWithGlobals() as GlobalOptions & O;
    const args = command.args;
    const ctx = await Context.create({ options, commandNames: commandNames(command) });
    const stopInterrupts = onInterrupt(ctx, settings.interruptNotice ?? rollbackNotice);
    try {
      await fn(ctx, options, args);
    } catch (error) {
      reportError(ctx.output, error, options.verbose === true);
      process.exitCode = error instanceof MrskError ? error.exitStatus : 1;
    } finally {
      stopInterrupts();
      await ctx.close();
    }
  };
}

/** Every command name (and alias) of the program, which `aliases:` may not take. */
export function commandNames(command: Command): Set<string> {
  let root = command;
  while (root.parent !== null) root = root.parent;
  return new Set(["help", ...root.commands.flatMap((c) => [c.name(), ...c.aliases()])]);
}

const rollbackNotice = (signal: NodeJS.Signals): string => `${signal}: stopping, rolling back and releasing the deploy lock (send it again to quit at once)`;

/**
 * The first SIGINT/SIGTERM aborts the flow, which rolls back and releases the lock before exiting;
 * a second one exits at once.
 */
function onInterrupt(ctx: Context, notice: (signal: NodeJS.Signals) => string): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    if (ctx.signal.aborted) process.exit(130);
    ctx.output.warn(notice(signal));
    ctx.abort(new InterruptedError(signal));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

export function reportError(output: Output, error: unknown, verbose: boolean): void {
  if (error instanceof MultiHostError) {
    for (const e of error.errors) reportError(output, e, verbose);
    return;
  }
  if (error instanceof MrskError) {
    const host = (error as { host?: unknown }).host;
    output.emit({
      type: "error",
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(typeof host === "string" ? { host } : {}),
    });
    return;
  }
  const message = error instanceof Error ? (verbose && error.stack ? error.stack : error.message) : String(error);
  output.emit({ type: "error", message });
}
