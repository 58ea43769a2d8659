import { homedir } from "node:os";
import { resolve } from "node:path";
import type { Config } from "../config/model.js";
import { formatIssue } from "../errors.js";
import type { Selection } from "../config/selection.js";
import type { FlowContext } from "../flows/context.js";
import { Output } from "../output/output.js";
import { MIN_SECRET_LENGTH, Redactor } from "../output/redact.js";
import { createRenderer, type Sinks } from "../output/renderers.js";
import type { Verbosity } from "../output/events.js";
import type { HostSession, SshConfigFile, SshSettings, Transport } from "../transport/types.js";
import { TOOL_VERSION } from "../version.js";

// What every command gets: parsed global options, the output stream, and lazily the
// configuration and a transport. Nothing global: tests build their own Context.

export interface GlobalOptions {
  verbose?: boolean;
  quiet?: boolean;
  /** The app version to act on (`--version`), not the tool's. */
  version?: string;
  primary?: boolean;
  hosts?: string;
  roles?: string;
  configFile?: string;
  destination?: string;
  skipHooks?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export interface ContextInit {
  options: GlobalOptions;
  cwd?: string;
  env?: Record<string, string | undefined>;
  sinks?: Sinks;
  /** The program's command names: an alias in the configuration may not take one. */
  commandNames?: ReadonlySet<string>;
}

export class Context implements FlowContext {
  readonly options: GlobalOptions;
  readonly cwd: string;
  /** A copy of the environment; `.env` files are applied to it, never to process.env. */
  readonly env: Record<string, string | undefined>;
  readonly redactor: Redactor;
  readonly output: Output;
  private readonly commandNames: ReadonlySet<string>;
  private loadedConfig: Config | undefined;
  private readonly shortSecretsWarned = new Set<string>();
  private openTransport: Transport | undefined;
  private localTransport: Transport | undefined;
  private readonly startedAt = Date.now();
  private readonly interrupt = new AbortController();

  private constructor(init: ContextInit, output: Output) {
    this.options = init.options;
    this.cwd = init.cwd ?? process.cwd();
    this.env = { ...(init.env ?? process.env) };
    this.output = output;
    this.redactor = output.redactor;
    this.commandNames = init.commandNames ?? new Set();
  }

  static async create(init: ContextInit): Promise<Context> {
    const renderer = await createRenderer({ json: init.options.json === true, ...(init.sinks ? { sinks: init.sinks } : {}), ...(init.env ? { env: init.env } : {}) });
    return new Context(init, new Output(renderer, new Redactor(), verbosityOf(init.options)));
  }

  get signal(): AbortSignal {
    return this.interrupt.signal;
  }

  /** Called by the CLI on SIGINT/SIGTERM. */
  abort(reason: Error): void {
    this.interrupt.abort(reason);
  }

  get dryRun(): boolean {
    return this.options.dryRun === true;
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** The configuration, loaded on first use. */
  async config(): Promise<Config> {
    if (this.loadedConfig === undefined) {
      const { loadConfig } = await import("../config/load.js");
      const loaded = loadConfig({
        cwd: this.cwd,
        configFile: this.options.configFile,
        destination: this.options.destination,
        version: this.options.version,
        env: this.env,
        toolVersion: TOOL_VERSION,
        registerSecret: (value, name, used) => this.registerSecret(value, name, used),
        onWarning: (issue) => this.output.warn(formatIssue(issue)),
      });
      this.redactor.showHosts(loaded.namedHosts);
      const { checkAliasNames } = await import("./aliases.js");
      checkAliasNames(loaded, this.commandNames);
      this.loadedConfig = loaded;
    }
    return this.loadedConfig;
  }

  /** Masks a secret from now on; one the configuration uses but that is too short to mask is named once. */
  private registerSecret(value: string, name: string, used: boolean): void {
    if (this.redactor.register(value) || !used || this.shortSecretsWarned.has(name)) return;
    this.shortSecretsWarned.add(name);
    this.output.warn(`secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters, so it cannot be masked in output: use a longer value`);
  }

  async selection(): Promise<Selection> {
    const { select } = await import("../config/selection.js");
    return select(await this.config(), this.options);
  }

  /** SSH to the hosts, or a printer of commands with --dry-run. */
  async transport(): Promise<Transport> {
    if (this.openTransport !== undefined) return this.openTransport;
    // After an interrupt nothing new starts: no connection, not even a dry run's printer.
    this.signal.throwIfAborted();
    const listener = this.output.emit;
    if (this.dryRun) {
      const { DryRunTransport } = await import("../transport/dry-run.js");
      this.openTransport = new DryRunTransport({ redact: this.redactor.redact, listener });
    } else {
      const { SshTransport } = await import("../transport/ssh.js");
      const config = await this.config();
      const { terminalPassphrasePrompt } = await import("../transport/passphrase-prompt.js");
      this.openTransport = new SshTransport({
        settings: sshSettings(config, this.env, this.cwd),
        redact: this.redactor.redact,
        listener,
        passphrasePrompt: (keyFile) => {
          this.output.close();
          return terminalPassphrasePrompt(keyFile);
        },
        ...(config.ssh.logLevel === "debug" ? { debug: (message: string, host?: string) => this.output.info(message, host) } : {}),
      });
    }
    return this.openTransport;
  }

  async local(): Promise<HostSession> {
    if (this.dryRun) return (await this.transport()).session("localhost");
    if (this.localTransport === undefined) {
      const { LocalTransport } = await import("../transport/local.js");
      this.localTransport = new LocalTransport({ redact: this.redactor.redact, listener: this.output.emit });
    }
    return this.localTransport.session("localhost");
  }

  async close(): Promise<void> {
    this.output.close();
    await this.localTransport?.close();
    await this.openTransport?.close();
    this.openTransport = undefined;
  }
}

function verbosityOf(options: GlobalOptions): Verbosity {
  // A dry run exists to show the commands (the CLI refuses -q with it).
  if (options.verbose || options.dryRun) return "verbose";
  if (options.quiet) return "quiet";
  return "normal";
}

export function sshSettings(config: Config, env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): SshSettings {
  const home = env.HOME ?? homedir();
  const policy = env.MRSK_SSH_HOST_KEY_POLICY;
  const expandHome = (path: string): string => path.replace(/^~(?=\/|$)/, home);
  return {
    user: config.ssh.user,
    port: config.ssh.port,
    keys: config.ssh.keys.map(expandHome),
    keyData: config.ssh.keyData,
    keysOnly: config.ssh.keysOnly,
    agent: env.SSH_AUTH_SOCK,
    proxy: config.ssh.proxy,
    proxyCommand: config.ssh.proxyCommand,
    keepaliveIntervalMs: 30_000,
    connectTimeoutMs: 15_000,
    knownHostsFiles: env.MRSK_KNOWN_HOSTS ? env.MRSK_KNOWN_HOSTS.split(":") : undefined,
    hostKeyPolicy: policy === "strict" || policy === "off" || policy === "accept-new" ? policy : undefined,
    maxConcurrentStarts: config.ssh.maxConcurrentStarts,
    // A relative path is the project's, as net-ssh reads it from where kamal runs.
    configFiles: sshConfigFiles(config.ssh.config).map((file) => ({ ...file, path: resolve(cwd, expandHome(file.path)) })),
  };
}

// As net-ssh: `true` reads the user's and the system file (either may be missing), a path or a
// list reads those (which must exist), `false` none.
function sshConfigFiles(setting: boolean | string[]): SshConfigFile[] {
  if (setting === false) return [];
  if (setting === true) return ["~/.ssh/config", "/etc/ssh_config", "/etc/ssh/ssh_config"].map((path) => ({ path, optional: true }));
  return setting.map((path) => ({ path, optional: false }));
}
