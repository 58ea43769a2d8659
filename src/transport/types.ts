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

/** How `StrictHostKeyChecking` is applied: `strict` refuses unknown hosts, `accept-new` records them, `off` checks nothing. */
export type HostKeyPolicy = "strict" | "accept-new" | "off";

/**
 * How to reach hosts over SSH; built from the `ssh:` section of the configuration. A setting left
 * undefined comes from the OpenSSH config files (`configFiles`), else OpenSSH's default.
 */
export interface SshSettings {
  /** `ssh.user`; unset: the files' `User`, else root. */
  user: string | undefined;
  /** `ssh.port`; unset: the files' `Port`, else 22. A `host:port` in the host list wins over both. */
  port: number | undefined;
  /** Private key files to offer, in order (`ssh.keys`); empty: the files' `IdentityFile`s, else the usual ~/.ssh/id_* files. */
  keys: string[];
  /** Private keys given as data (`ssh.key_data`, from secrets). */
  keyData: string[];
  /** Use only the configured keys, not the agent or default key files (`ssh.keys_only`; unset: the files' `IdentitiesOnly`). */
  keysOnly: boolean | undefined;
  /** Agent socket, normally $SSH_AUTH_SOCK. */
  agent: string | undefined;
  /** Jump host as `[user@]host[:port]` (`ssh.proxy`); wins over the files' `ProxyJump`/`ProxyCommand`. */
  proxy: string | undefined;
  /** A command whose stdin/stdout carry the connection, `%h`/`%p` substituted (`ssh.proxy_command`). */
  proxyCommand: string | undefined;
  /** Unless the files set `ServerAliveInterval`. */
  keepaliveIntervalMs: number;
  /** Unless the files set `ConnectTimeout`. */
  connectTimeoutMs: number;
  /** known_hosts files checked for host keys; unset: the files' `UserKnownHostsFile`, else ~/.ssh/known_hosts. */
  knownHostsFiles: string[] | undefined;
  /** Unset: the files' `StrictHostKeyChecking`, else `accept-new`. */
  hostKeyPolicy: HostKeyPolicy | undefined;
  /** Cap on connections being opened at the same time (`sshkit.max_concurrent_starts`). */
  maxConcurrentStarts: number;
  /** OpenSSH client config files to read (`ssh.config`), in order; empty reads none. */
  configFiles: SshConfigFile[];
}

/** An OpenSSH config file to read; a missing optional one (the usual defaults) is skipped. */
export interface SshConfigFile {
  readonly path: string;
  readonly optional: boolean;
}
