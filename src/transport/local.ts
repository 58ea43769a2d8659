// Commands on this machine, through /bin/sh like a remote login shell would run them. Used for the
// local steps (docker build, hooks) and in tests.
import { open } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import type { Cmd } from "../commands/shell.js";
import { CommandReport, emit, type Reporting } from "./command-report.js";
import { terminateProcessTree } from "./process-tree.js";
import { uploadError } from "./upload-error.js";
import type { HostSession, Redact, RunOptions, RunResult, StreamOptions, Transport, TransportListener } from "./types.js";

export interface LocalTransportOptions {
  readonly redact: Redact;
  readonly listener?: TransportListener;
}

/** Every host name gets a session on this machine ("localhost" normally); the name labels events and errors. */
export class LocalTransport implements Transport {
  readonly kind = "local";
  private readonly reporting: Reporting;
  private readonly sessions = new Map<string, LocalHostSession>();
  private readonly running = new RunningCommands();

  constructor(options: LocalTransportOptions) {
    this.reporting = { redact: options.redact, listener: options.listener };
  }

  async session(host = "localhost"): Promise<HostSession> {
    let session = this.sessions.get(host);
    if (!session) {
      session = new LocalHostSession(host, this.reporting, this.running);
      this.sessions.set(host, session);
    }
    return session;
  }

  /** Stops every command still running, as closing SSH connections does. */
  async close(): Promise<void> {
    await this.running.terminateAll();
  }
}

// Commands stay in this process's group, so that Ctrl-C in the terminal reaches them as it
// would from a shell; an abort or close() stops each one with its descendants.
class RunningCommands {
  private readonly pids = new Set<number>();

  async wait<T extends ResultPromise>(subprocess: T, signal: AbortSignal | undefined): Promise<Awaited<T>> {
    const pid = subprocess.pid;
    if (pid === undefined) return await subprocess;
    const stop = (): void => void terminateProcessTree(pid);
    this.pids.add(pid);
    signal?.addEventListener("abort", stop, { once: true });
    try {
      return await subprocess;
    } finally {
      signal?.removeEventListener("abort", stop);
      this.pids.delete(pid);
    }
  }

  async terminateAll(): Promise<void> {
    await Promise.all([...this.pids].map((pid) => terminateProcessTree(pid)));
  }
}

class LocalHostSession implements HostSession {
  constructor(
    readonly host: string,
    private readonly reporting: Reporting,
    private readonly running: RunningCommands,
  ) {}

  async run(cmd: Cmd, options: RunOptions = {}): Promise<RunResult> {
    const report = new CommandReport(this.reporting, this.host, cmd, { echo: options.echo });
    options.signal?.throwIfAborted();
    const subprocess = execa("/bin/sh", ["-c", report.shellLine], {
      reject: false,
      stripFinalNewline: false,
      env: options.env,
      cwd: options.cwd,
      ...(options.stdin === undefined ? { stdin: "ignore" as const } : { input: options.stdin }),
    });
    subprocess.stdout.on("data", (chunk: Buffer) => report.output("stdout", chunk));
    subprocess.stderr.on("data", (chunk: Buffer) => report.output("stderr", chunk));
    const result = await this.running.wait(subprocess, options.signal);
    if (options.signal?.aborted) {
      report.end(null);
      throw options.signal.reason;
    }
    return report.finish(
      { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? null, signal: result.signal },
      options.tolerate,
    );
  }

  async stream(cmd: Cmd, options: StreamOptions = {}): Promise<number | null> {
    const report = new CommandReport(this.reporting, this.host, cmd);
    let exitCode: number | null = null;
    try {
      if (options.signal?.aborted) return null;
      // No terminal is emulated here: `pty` is ignored and the output is piped as it comes.
      const subprocess = execa("/bin/sh", ["-c", report.shellLine], {
        reject: false,
        buffer: false,
        stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
      });
      subprocess.stdout.on("data", (chunk: Buffer) => options.onStdout?.(chunk));
      subprocess.stderr.on("data", (chunk: Buffer) => options.onStderr?.(chunk));
      if (options.stdin) options.stdin.pipe(subprocess.stdin!);
      const result = await this.running.wait(subprocess, options.signal);
      options.stdin?.unpipe(subprocess.stdin!);
      exitCode = options.signal?.aborted ? null : (result.exitCode ?? null);
      return exitCode;
    } finally {
      report.end(exitCode);
    }
  }

  async upload(path: string, content: string | Buffer, mode: number): Promise<void> {
    const bytes = Buffer.from(content);
    emit(this.reporting, { type: "upload", host: this.host, path, mode, bytes: bytes.length });
    try {
      const file = await open(localPath(path), "w", mode);
      try {
        // The open mode only applies to a new file, and through the umask: set it before writing.
        await file.chmod(mode);
        await file.writeFile(bytes);
      } finally {
        await file.close();
      }
    } catch (error) {
      throw uploadError(this.host, path, (error as Error).message);
    }
  }

  async forwardRemotePort(): Promise<() => Promise<void>> {
    // The "remote" port is already on this machine.
    return async () => {};
  }
}

function localPath(path: string): string {
  return path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}
