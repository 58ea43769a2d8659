// --dry-run: nothing runs; every command is recorded per host and reported as a `command` event,
// which the output layer prints.
import { toShell, type Cmd } from "../commands/shell.js";
import { RemoteCommandError } from "../errors.js";
import { emit, type Reporting } from "./command-report.js";
import type { HostSession, Redact, RunResult, Transport, TransportListener } from "./types.js";

export type DryRunRecord =
  | { readonly kind: "run" | "stream"; readonly host: string; readonly cmd: Cmd; readonly line: string }
  /** The content of an upload is never kept: it may hold secrets. */
  | { readonly kind: "upload"; readonly host: string; readonly path: string; readonly mode: number; readonly bytes: number };

/** Decides whether a canned answer applies, given the command's shell line (unmasked). */
export type AnswerPredicate = (line: string) => boolean;

export interface DryRunTransportOptions {
  readonly redact: Redact;
  readonly listener?: TransportListener;
}

interface CannedAnswer {
  readonly host: string;
  readonly matches: AnswerPredicate;
  readonly stdout: string;
  readonly exitCode: number;
  readonly stderr: string;
}

export class DryRunTransport implements Transport {
  readonly kind = "dry-run";
  private readonly reporting: Reporting;
  private readonly records: DryRunRecord[] = [];
  private readonly answers: CannedAnswer[] = [];

  constructor(options: DryRunTransportOptions) {
    this.reporting = { redact: options.redact, listener: options.listener };
  }

  async session(host: string): Promise<HostSession> {
    return {
      host,
      run: async (cmd, options) => this.run(host, cmd, options?.tolerate === true),
      stream: async (cmd) => {
        this.record("stream", host, cmd);
        return 0;
      },
      upload: async (path, content, mode) => this.upload(host, path, mode, Buffer.byteLength(content)),
      forwardRemotePort: async () => async () => {},
    };
  }

  async close(): Promise<void> {}

  /**
   * Makes `run` on `host` answer `stdout` (and `exitCode`, `stderr`) for commands that `matches`;
   * the latest answer wins. A non-zero exit throws like a real host unless the caller tolerates it.
   */
  answer(host: string, matches: AnswerPredicate, stdout: string, exitCode = 0, stderr = ""): void {
    this.answers.unshift({ host, matches, stdout, exitCode, stderr });
  }

  /** Everything recorded, in order; only `host`'s records when given. */
  recorded(host?: string): readonly DryRunRecord[] {
    return host === undefined ? [...this.records] : this.records.filter((r) => r.host === host);
  }

  private run(host: string, cmd: Cmd, tolerate: boolean): RunResult {
    const line = this.record("run", host, cmd);
    const shellLine = toShell(cmd);
    const answer = this.answers.find((a) => a.host === host && a.matches(shellLine));
    const result = { host, line, stdout: answer?.stdout ?? "", stderr: answer?.stderr ?? "", exitCode: answer?.exitCode ?? 0, durationMs: 0 };
    if (result.exitCode !== 0 && !tolerate) throw new RemoteCommandError({ ...result, command: line });
    return result;
  }

  private record(kind: "run" | "stream", host: string, cmd: Cmd): string {
    const line = this.reporting.redact(toShell(cmd));
    this.records.push({ kind, host, cmd, line });
    emit(this.reporting, { type: "command", host, line });
    return line;
  }

  private upload(host: string, path: string, mode: number, bytes: number): void {
    this.records.push({ kind: "upload", host, path, mode, bytes });
    emit(this.reporting, { type: "upload", host, path, mode, bytes });
  }
}
