import { InvalidArgumentError, type Command } from "commander";
import type { LogOptions } from "../commands/app.js";

// Options shared by the commands that operate a deployment: the lock, confirmation, logs, exec.

export interface LockCliOptions {
  skipLock?: boolean;
}

export interface ConfirmCliOptions extends LockCliOptions {
  confirmed?: boolean;
}

export interface LogCliOptions {
  since?: string;
  lines?: number;
  grep?: string;
  follow?: boolean;
}

export interface ExecCliOptions {
  interactive?: boolean;
  reuse?: boolean;
  env: Record<string, string>;
}

export function withSkipLock(command: Command): Command {
  return command.option("--skip-lock", "do not take the deploy lock (only when you know no deploy runs)");
}

export function withConfirmation(command: Command): Command {
  return withSkipLock(command).option("-y, --confirmed", "do not ask for confirmation");
}

export function withLogOptions(command: Command): Command {
  return command
    .option("-s, --since <time>", "lines since a timestamp (2026-01-02T13:23:37Z) or a relative time (42m)")
    .option("-n, --lines <count>", "how many of the last lines (default 100; 10 with --follow)", count)
    .option("-g, --grep <text>", "only lines matching this (grep on the host)")
    .option("-f, --follow", "keep streaming new lines until Ctrl-C");
}

export function withExecOptions(command: Command): Command {
  return command
    .option("-i, --interactive", "open a terminal on the first host and run the command there")
    .option("--reuse", "run in the running container instead of a new one")
    .option("-e, --env <KEY=VALUE>", "add an environment variable (repeatable)", addEnv, {});
}

export function logRequest(options: LogCliOptions): LogOptions {
  return { since: options.since, lines: options.lines, grep: options.grep, follow: options.follow === true };
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a number of lines");
  return n;
}

function addEnv(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`expected KEY=VALUE, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** The interrupt notice of commands that only watch or talk to a host: nothing to roll back. */
export const stopNotice = (signal: NodeJS.Signals): string => `${signal}: stopping`;

/** An interactive session's remote exit code becomes mrsk's. */
export function exitWith(code: number | null | undefined): void {
  if (code !== undefined && code !== 0) process.exitCode = code ?? 1;
}
