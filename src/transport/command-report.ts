// What every transport tells its listener about one command, and how a finished command becomes
// a RunResult or a RemoteCommandError.
import { StringDecoder } from "node:string_decoder";
import { toShell, type Cmd } from "../commands/shell.js";
import { RemoteCommandError } from "../errors.js";
import type { Redact, RunResult, TransportEvent, TransportListener } from "./types.js";

export interface Reporting {
  readonly redact: Redact;
  readonly listener?: TransportListener | undefined;
}

export interface CommandOutcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal?: string | undefined;
}

type StreamName = "stdout" | "stderr";

export function emit(reporting: Reporting, event: TransportEvent): void {
  reporting.listener?.(event);
}

/** One command from start to end: emits `command` on creation and `command-done` on finish. */
export class CommandReport {
  /** The line the remote shell runs. */
  readonly shellLine: string;
  /** The same line with secrets masked, for users. */
  readonly line: string;
  private readonly started = performance.now();
  private readonly echo: Record<StreamName, LineBuffer> | undefined;

  constructor(
    private readonly reporting: Reporting,
    readonly host: string,
    cmd: Cmd,
    options: { echo?: boolean | undefined } = {},
  ) {
    this.shellLine = toShell(cmd);
    this.line = reporting.redact(this.shellLine);
    this.echo = options.echo ? { stdout: new LineBuffer(), stderr: new LineBuffer() } : undefined;
    emit(reporting, { type: "command", host, line: this.line });
  }

  /** Passes output on as `output` events, a line at a time, when the command echoes. */
  output(stream: StreamName, chunk: Buffer): void {
    if (this.echo) this.emitLines(stream, this.echo[stream].push(chunk));
  }

  /** Reports the end; returns the result, or throws RemoteCommandError on failure unless tolerated. */
  finish(outcome: CommandOutcome, tolerate = false): RunResult {
    const result: RunResult = { host: this.host, line: this.line, durationMs: this.done(outcome.exitCode), ...outcome };
    if (result.exitCode === 0 || tolerate) return result;
    throw new RemoteCommandError({
      host: result.host,
      command: result.line,
      exitCode: result.exitCode,
      signal: result.signal,
      stderr: result.stderr,
      stdout: result.stdout,
    });
  }

  /** Reports the end of a command whose output was streamed, or that was cut short. */
  end(exitCode: number | null): void {
    this.done(exitCode);
  }

  private done(exitCode: number | null): number {
    if (this.echo) {
      this.emitLines("stdout", this.echo.stdout.flush());
      this.emitLines("stderr", this.echo.stderr.flush());
    }
    const durationMs = Math.round(performance.now() - this.started);
    emit(this.reporting, { type: "command-done", host: this.host, line: this.line, exitCode, durationMs });
    return durationMs;
  }

  private emitLines(stream: StreamName, lines: string[]): void {
    for (const text of lines) emit(this.reporting, { type: "output", host: this.host, stream, text });
  }
}

/** Cuts a byte stream into lines without splitting multi-byte characters. */
export class LineBuffer {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";

  push(chunk: Buffer): string[] {
    const lines = (this.pending + this.decoder.write(chunk)).split("\n");
    this.pending = lines.pop()!;
    return lines.map((l) => l.replace(/\r$/, ""));
  }

  flush(): string[] {
    const rest = this.pending + this.decoder.end();
    this.pending = "";
    return rest === "" ? [] : [rest.replace(/\r$/, "")];
  }
}
