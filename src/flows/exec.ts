import { spawnSync } from "node:child_process";
import type { Cmd } from "../commands/shell.js";
import { MultiHostError, RemoteCommandError } from "../errors.js";
import { namingHost, onHostsSettled } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import type { FlowContext } from "./context.js";

// Running a command where the app (or an accessory) runs: on every selected host with its output
// shown per host, or interactively on one host through a real terminal.

/** This machine's terminal, for an interactive session. */
export interface Terminal {
  readonly input: NodeJS.ReadableStream;
  write(chunk: Buffer): void;
  /** $TERM, passed on to the remote terminal. */
  readonly term: string;
  size(): { rows: number; cols: number };
  /** Raw mode passes every key (Ctrl-C included) to the remote side; absent when input is not a terminal. */
  setRawMode?: ((raw: boolean) => void) | undefined;
}

/** The process's own terminal. */
export function processTerminal(): Terminal {
  const stdin = process.stdin;
  return {
    input: stdin,
    write: (chunk) => process.stdout.write(chunk),
    term: process.env.TERM ?? "xterm-256color",
    size: () => ({ rows: process.stdout.rows ?? 24, cols: process.stdout.columns ?? 80 }),
    setRawMode: stdin.isTTY === true ? (raw) => setRawMode(stdin, raw) : undefined,
  };
}

// Node's raw mode keeps output processing (a newline becomes CR LF), which the remote terminal
// already did: turned off as `ssh -t` does, so full-screen programs draw right. Leaving raw mode
// restores the terminal's settings from before.
function setRawMode(stdin: NodeJS.ReadStream, raw: boolean): void {
  stdin.setRawMode(raw);
  if (raw) spawnSync("stty", ["-opost"], { stdio: ["inherit", "ignore", "ignore"] });
}

/** One command to run on one host: `prepare` (audit, env file) first, then `cmd`. */
export interface ExecStep {
  label?: string | undefined;
  /** What runs where, in words, for the line shown before an interactive session. */
  title: string;
  prepare?: () => Promise<void>;
  cmd: Cmd;
}

/** Runs each host's steps on every host at once and shows their output; fails listing every host whose command failed. */
export async function execEverywhere(ctx: FlowContext, hosts: readonly string[], stepsOn: (session: HostSession) => Promise<ExecStep[]>): Promise<void> {
  const outcomes = await onHostsSettled(await ctx.transport(), hosts, async (session) => {
    const shown: Array<{ label?: string; text: string }> = [];
    const failures: Error[] = [];
    for (const step of await stepsOn(session)) {
      await step.prepare?.();
      const result = await session.run(step.cmd, { tolerate: true, signal: ctx.signal });
      const text = (result.stdout + result.stderr).replace(/\n$/, "");
      if (text !== "") shown.push({ ...(step.label === undefined ? {} : { label: step.label }), text });
      if (result.exitCode !== 0) failures.push(new RemoteCommandError({ ...result, command: result.line }));
    }
    return { shown, failures };
  });
  const failures: Error[] = [];
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      failures.push(namingHost(outcome.host, outcome.error));
      continue;
    }
    for (const block of outcome.value.shown) ctx.output.result(block.text, { host: outcome.host, ...(block.label === undefined ? {} : { label: block.label }) });
    failures.push(...outcome.value.failures);
  }
  if (failures.length > 0) throw new MultiHostError(failures);
}

/**
 * Runs `step` on `session` in a remote terminal wired to the local one (raw mode, so every key
 * goes through), restoring the local terminal however it ends. Resolves with the remote exit code.
 */
export async function execInteractively(ctx: FlowContext, session: HostSession, step: ExecStep, terminal: Terminal): Promise<number | null> {
  await step.prepare?.();
  ctx.output.info(`${step.title} on ${session.host}`);
  // The remote terminal owns the screen from here on.
  ctx.output.close();
  const { rows, cols } = terminal.size();
  terminal.setRawMode?.(true);
  try {
    return await session.stream(step.cmd, {
      pty: { term: terminal.term, rows, cols },
      stdin: terminal.input,
      onStdout: (chunk) => terminal.write(chunk),
      onStderr: (chunk) => terminal.write(chunk),
      signal: ctx.signal,
    });
  } finally {
    terminal.setRawMode?.(false);
    // Stop reading the keyboard, or this process would wait for input that nothing consumes.
    (terminal.input as NodeJS.ReadStream).pause?.();
  }
}
