import type { Command } from "commander";
import { MrskError, MultiHostError } from "../errors.js";
import type { Output } from "../output/output.js";
import { Context, type GlobalOptions } from "./context.js";

// Runs one command's action: builds the context from the parsed options, maps errors to messages
// and exit codes, and always closes connections.

export type Action<O> = (ctx: Context, options: O, args: string[]) => Promise<void>;

export function action<O = Record<string, unknown>>(fn: Action<O>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const options = command.optsWithGlobals() as GlobalOptions & O;
    const args = command.args;
    const ctx = await Context.create({ options });
    let ok = false;
    try {
      await fn(ctx, options, args);
      ok = true;
    } catch (error) {
      reportError(ctx.output, error, options.verbose === true);
      process.exitCode = error instanceof MrskError ? error.exitStatus : 1;
    } finally {
      await ctx.close();
    }
    if (!ok && process.exitCode === undefined) process.exitCode = 1;
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
