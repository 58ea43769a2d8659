// One host over one SSH connection: every command is a channel multiplexed on it.
import { connect as tcpConnect, type Socket } from "node:net";
import pLimit, { type LimitFunction } from "p-limit";
import type { Client, ClientCallback, ClientChannel, PseudoTtyOptions, TcpConnectionDetails } from "ssh2";
import { toShell, type Cmd } from "../commands/shell.js";
import { ConnectionError, MrskError } from "../errors.js";
import { CommandReport, emit, type CommandOutcome, type Reporting } from "./command-report.js";
import { writeStdinToFile } from "../commands/files.js";
import { remotePath } from "./ssh-upload.js";
import { uploadError } from "./upload-error.js";
import type { HostSession, RunOptions, RunResult, StreamOptions } from "./types.js";

// OpenSSH allows 10 session channels per connection (MaxSessions); 8 commands plus the SFTP
// channel stay below that on any default server.
const MAX_COMMAND_CHANNELS = 8;

// Without a terminal, OpenSSH leaves a command running after its channel closes (it refuses
// signal requests for root); a terminal is hung up on close, which ends the command. No echo and
// no newline translation keep the output as the command wrote it.
const HANGUP_TERMINAL: PseudoTtyOptions = { term: "dumb", rows: 24, cols: 200, modes: { ECHO: 0, OPOST: 0 } };

// The remote end of a reverse tunnel; "localhost" binds both loopback addresses.
const TUNNEL_BIND_ADDRESS = "localhost";

// How long a closing connection may take before its socket is destroyed.
const CLOSE_GRACE_MS = 2_000;

interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | undefined;
}

interface OpenChannel {
  readonly channel: ClientChannel;
  /** How the command ended, once the server has said so. */
  exitStatus(): ExitStatus | undefined;
}

interface Tunnel {
  readonly localHost: string;
  readonly localPort: number;
  readonly sockets: Set<Socket>;
}

export class SshHostSession implements HostSession {
  private readonly channels: LimitFunction = pLimit(MAX_COMMAND_CHANNELS);
  private readonly tunnels = new Map<number, Tunnel>();
  private closed = false;
  private lastError: Error | undefined;

  constructor(
    readonly host: string,
    private readonly client: Client,
    private readonly reporting: Reporting,
  ) {
    client.on("error", (error) => {
      this.lastError = error;
    });
    client.on("close", () => {
      this.closed = true;
    });
    client.on("tcp connection", (details, accept, reject) => this.acceptTunnelConnection(details, accept, reject));
  }

  async run(cmd: Cmd, options: RunOptions = {}): Promise<RunResult> {
    if (options.env !== undefined || options.cwd !== undefined) {
      // Servers drop environment requests they do not AcceptEnv; silently running elsewhere is worse than failing.
      throw new MrskError(`env and cwd apply only to commands on this machine, not on ${this.host}`);
    }
    const report = new CommandReport(this.reporting, this.host, cmd, { echo: options.echo });
    let outcome: CommandOutcome;
    try {
      outcome = await this.channels(() =>
        this.collect(report.shellLine, options, (stream, chunk) => report.output(stream, chunk)),
      );
    } catch (error) {
      report.end(null);
      throw error;
    }
    return report.finish(outcome, options.tolerate);
  }

  async stream(cmd: Cmd, options: StreamOptions = {}): Promise<number | null> {
    const report = new CommandReport(this.reporting, this.host, cmd);
    let exitCode: number | null = null;
    try {
      exitCode = await this.channels(() => this.follow(report.shellLine, options));
      return exitCode;
    } finally {
      report.end(exitCode);
    }
  }

  async upload(path: string, content: string | Buffer, mode: number): Promise<void> {
    const bytes = Buffer.from(content);
    emit(this.reporting, { type: "upload", host: this.host, path, mode, bytes: bytes.length });
    // One exec with the content on stdin: two round trips, where SFTP takes four to six.
    const outcome = await this.channels(() => this.collect(toShell(writeStdinToFile(remotePath(path), mode)), { stdin: bytes }));
    if (outcome.exitCode !== 0) {
      const stderr = outcome.stderr.trim();
      throw uploadError(this.host, path, stderr || `exit code ${outcome.exitCode}`, uploadHint(stderr));
    }
  }

  async forwardRemotePort(remotePort: number, localHost: string, localPort: number): Promise<() => Promise<void>> {
    this.assertOpen();
    const boundPort = await new Promise<number>((resolve, reject) => {
      this.client.forwardIn(TUNNEL_BIND_ADDRESS, remotePort, (error, port) => {
        if (error) {
          reject(
            new MrskError(`Could not listen on port ${remotePort} of ${this.host}: ${error.message}`, {
              hint: "Another process may be using that port on the host, or its sshd forbids forwarding (AllowTcpForwarding).",
            }),
          );
        } else {
          resolve(port);
        }
      });
    });
    const tunnel: Tunnel = { localHost, localPort, sockets: new Set() };
    this.tunnels.set(boundPort, tunnel);
    return async () => {
      if (!this.tunnels.delete(boundPort)) return;
      for (const socket of tunnel.sockets) socket.destroy();
      if (this.closed) return;
      await new Promise<void>((resolve) => this.client.unforwardIn(TUNNEL_BIND_ADDRESS, boundPort, () => resolve()));
    };
  }

  /** A TCP connection made by the host to `host:port`, for using it as a jump host. */
  openTunnel(host: string, port: number): Promise<ClientChannel> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.client.forwardOut("127.0.0.1", 0, host, port, (error, channel) => (error ? reject(error) : resolve(channel)));
    });
  }

  /** Ends the connection; commands still running are cut off. */
  async end(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => this.client.destroy(), CLOSE_GRACE_MS);
      this.client.once("close", () => {
        clearTimeout(force);
        resolve();
      });
      this.client.end();
    });
  }

  private async collect(
    shellLine: string,
    options: Pick<RunOptions, "stdin" | "signal">,
    onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void,
  ): Promise<CommandOutcome> {
    options.signal?.throwIfAborted();
    const { channel, exitStatus } = await this.openChannel(shellLine, false);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    return new Promise((resolve, reject) => {
      const abort = (): void => {
        channel.close();
        reject(options.signal!.reason);
      };
      options.signal?.addEventListener("abort", abort, { once: true });
      channel.on("data", (chunk: Buffer) => {
        stdout.push(chunk);
        onOutput?.("stdout", chunk);
      });
      channel.stderr.on("data", (chunk: Buffer) => {
        stderr.push(chunk);
        onOutput?.("stderr", chunk);
      });
      channel.on("close", () => {
        options.signal?.removeEventListener("abort", abort);
        const exit = exitStatus();
        if (exit === undefined && this.closed) return reject(this.lostConnection(shellLine));
        resolve({
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
          exitCode: exit?.code ?? null,
          signal: exit?.signal,
        });
      });
      channel.end(options.stdin);
      // The signal may have fired while the channel was opening.
      if (options.signal?.aborted) abort();
    });
  }

  private async follow(shellLine: string, options: StreamOptions): Promise<number | null> {
    if (options.signal?.aborted) return null;
    const terminal = options.pty === undefined ? HANGUP_TERMINAL : options.pty;
    const { channel, exitStatus } = await this.openChannel(shellLine, terminal);
    const { stdin, signal } = options;
    return new Promise((resolve, reject) => {
      const abort = (): void => channel.close();
      signal?.addEventListener("abort", abort, { once: true });
      channel.on("data", (chunk: Buffer) => options.onStdout?.(chunk));
      channel.stderr.on("data", (chunk: Buffer) => options.onStderr?.(chunk));
      channel.on("close", () => {
        signal?.removeEventListener("abort", abort);
        stdin?.unpipe(channel);
        const exit = exitStatus();
        if (exit === undefined && this.closed && !signal?.aborted) reject(this.lostConnection(shellLine));
        else resolve(exit?.code ?? null);
      });
      if (stdin) stdin.pipe(channel);
      else channel.end();
      if (signal?.aborted) abort();
    });
  }

  private openChannel(shellLine: string, pty: PseudoTtyOptions | false): Promise<OpenChannel> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      const onOpened: ClientCallback = (error, channel) => {
        if (error) {
          reject(
            this.closed
              ? this.lostConnection(shellLine)
              : new ConnectionError(this.host, `could not open a channel: ${error.message}`, { cause: error }),
          );
          return;
        }
        // The exit status can come in the same read as the channel's confirmation, before the
        // caller gets to listen: catch it here.
        let status: ExitStatus | undefined;
        channel.once("exit", (code: number | null, signal?: string) => {
          status = { code: code ?? null, signal };
        });
        resolve({ channel, exitStatus: () => status });
      };
      try {
        this.client.exec(shellLine, { pty }, onOpened);
      } catch {
        // ssh2 throws when the socket is already gone but has not reported its close yet.
        reject(this.lostConnection(shellLine));
      }
    });
  }

  private acceptTunnelConnection(
    details: TcpConnectionDetails,
    accept: () => ClientChannel,
    reject: () => void,
  ): void {
    const tunnel = this.tunnels.get(details.destPort);
    if (!tunnel) return reject();
    const local = tcpConnect({ host: tunnel.localHost, port: tunnel.localPort, noDelay: true });
    let channel: ClientChannel | undefined;
    local.on("error", () => {
      if (!channel) reject();
    });
    local.on("connect", () => {
      channel = accept();
      tunnel.sockets.add(local);
      channel.pipe(local).pipe(channel);
      channel.on("error", () => local.destroy());
      channel.on("close", () => local.destroy());
    });
    local.on("close", () => {
      tunnel.sockets.delete(local);
      channel?.close();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw this.lostConnection();
  }

  private lostConnection(shellLine?: string): ConnectionError {
    const during = shellLine === undefined ? "" : ` while running: ${this.reporting.redact(shellLine)}`;
    const reason = this.lastError ? ` (${this.lastError.message})` : "";
    return new ConnectionError(this.host, `the connection is closed${reason}${during}`, {
      hint: "The host went away or the network dropped; run the command again.",
    });
  }
}

function uploadHint(stderr: string): string | undefined {
  if (/No such file or directory/.test(stderr)) return "The directory does not exist on the host; create it first.";
  if (/Permission denied/.test(stderr)) return "The SSH user may not write there; check the owner and mode of the directory.";
  return undefined;
}
