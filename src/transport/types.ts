import type { Cmd } from "../commands/shell.js";

/** What a transport reports as it works; `output/` renders these. */
export type TransportEvent =
  | { type: "connect"; host: string; durationMs: number }
  | { type: "command"; host: string; line: string }
  | { type: "command-done"; host: string; line: string; exitCode: number | null; durationMs: number }
  | { type: "upload"; host: string; path: string; mode: number; bytes: number }
  | { type: "output"; host: string; stream: "stdout" | "stderr"; text: string };

export type TransportListener = (event: TransportEvent) => void;

export interface RunOptions {
  /** Sent to the command's standard input, then closed. Never shown in output. */
  stdin?: string | Buffer;
  /** Return the result instead of throwing on a non-zero exit. */
  tolerate?: boolean;
  /** Emit stdout/stderr lines as `output` events while the command runs. */
  echo?: boolean;
  /**
   * Aborting closes the command's channel and rejects with the signal's reason. Over SSH the
   * remote process is not signalled (OpenSSH ignores signal requests for root): it ends when it
   * next writes output, or on its own.
   */
  signal?: AbortSignal;
  /** Variables added to the environment of a local command; SSH sessions refuse it. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Working directory of a local command; SSH sessions refuse it. */
  cwd?: string;
}

export interface RunResult {
  readonly host: string;
  /** Redacted command line, as shown to users. */
  readonly line: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal?: string;
  readonly durationMs: number;
}

export interface StreamOptions {
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /**
   * A terminal of this size and type (interactive `exec -i`). When absent over SSH, a terminal
   * without echo or newline translation is still opened, so that aborting (or losing the
   * connection) hangs up the remote command; its stderr then arrives through `onStdout`.
   * `false`: no terminal, stderr kept apart, but a remote command that neither reads nor writes
   * may outlive an abort (OpenSSH ignores signal requests for root).
   */
  pty?: { term: string; rows: number; cols: number } | false;
  /** Data written to the command's stdin (e.g. process.stdin for an interactive session). */
  stdin?: NodeJS.ReadableStream;
  /** Aborting ends the command; `stream` then resolves with null. */
  signal?: AbortSignal;
}

/** A session with one host for the whole invocation. */
export interface HostSession {
  readonly host: string;
  /** Run a command; throws RemoteCommandError on a non-zero exit unless `tolerate`. */
  run(cmd: Cmd, options?: RunOptions): Promise<RunResult>;
  /** Write `content` to `path` on the host with `mode`, creating nothing else. */
  upload(path: string, content: string | Buffer, mode: number): Promise<void>;
  /** Run a long-lived command (logs -f, interactive exec), resolving with its exit code. */
  stream(cmd: Cmd, options?: StreamOptions): Promise<number | null>;
  /**
   * Forward connections made to `remotePort` on the host's loopback to `localHost:localPort` on
   * this machine (an SSH reverse tunnel), until the returned function is called.
   */
  forwardRemotePort(remotePort: number, localHost: string, localPort: number): Promise<() => Promise<void>>;
}

/** Opens (and pools) host sessions; one per host for the whole invocation. */
export interface Transport {
  readonly kind: "ssh" | "local" | "dry-run";
  session(host: string): Promise<HostSession>;
  /** Close every connection; safe to call more than once. */
  close(): Promise<void>;
}

/** Turns a command into the line users see, with every secret value replaced. */
export type Redact = (text: string) => string;

/** How to reach hosts over SSH; built from the `ssh:` section of the configuration. */
export interface SshSettings {
  user: string;
  port: number;
  /** Private key files to offer, in order (`ssh.keys`); empty means the usual ~/.ssh/id_* files. */
  keys: string[];
  /** Private keys given as data (`ssh.key_data`, from secrets). */
  keyData: string[];
  /** Use only `keys`/`keyData`, not the agent or default key files (`ssh.keys_only`). */
  keysOnly: boolean;
  /** Agent socket, normally $SSH_AUTH_SOCK. */
  agent: string | undefined;
  /** Jump host as `[user@]host[:port]` (`ssh.proxy`). */
  proxy: string | undefined;
  /** A command whose stdin/stdout carry the connection, `%h`/`%p` substituted (`ssh.proxy_command`). */
  proxyCommand: string | undefined;
  keepaliveIntervalMs: number;
  connectTimeoutMs: number;
  /** known_hosts files checked for host keys; an unknown host is accepted and recorded (as OpenSSH's accept-new). */
  knownHostsFiles: string[];
  /** `strict`: unknown hosts are refused; `accept-new`: unknown hosts are recorded; `off`: no checks. */
  hostKeyPolicy: "strict" | "accept-new" | "off";
  /** Cap on connections being opened at the same time (`sshkit.max_concurrent_starts`). */
  maxConcurrentStarts: number;
}
