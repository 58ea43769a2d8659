import { spawnSync } from "node:child_process";
import { MrskError } from "../../errors.js";

// Runs a password manager's own CLI the way Kamal's adapters do with backticks: stdout captured,
// stderr shown (except for the probes Kamal sends to /dev/null), an argument list rather than a
// shell line. Sign-in commands may prompt, so they get the terminal — and only when there is one:
// without a terminal a prompt could wait forever, so the adapter stops with the command to run.

export class SecretsAdapterError extends MrskError {}

export interface AdapterEnvironment {
  /** The environment the vendor CLI runs with: its PATH and tokens (OP_SERVICE_ACCOUNT_TOKEN, BW_SESSION, …). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Whether a sign-in may ask the user something (stdin is a terminal). */
  readonly interactive: boolean;
}

export interface VendorResult {
  /** The exit status; null when the CLI could not be started or was killed. */
  readonly status: number | null;
  readonly stdout: string;
}

export interface RunOptions {
  /** Extra environment for this call (Bitwarden's BW_SESSION). */
  readonly env?: Readonly<Record<string, string>>;
  /** Discard stderr, as Kamal does with `2> /dev/null` for its probes. */
  readonly quiet?: boolean;
}

export class VendorCli {
  constructor(
    /** The executable, as looked up on PATH (`op`, `bw`, `enpass-cli`…). */
    readonly command: string,
    /** What Kamal calls it in its messages ("1Password CLI"). */
    readonly product: string,
    /** Where to get it, for the "not installed" hint. */
    private readonly installUrl: string,
    private readonly context: AdapterEnvironment,
  ) {}

  run(args: readonly string[], options: RunOptions = {}): VendorResult {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.context.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, options.env);
    const result = spawnSync(this.command, args, {
      cwd: this.context.cwd,
      env,
      encoding: "utf8",
      stdio: [this.context.interactive ? "inherit" : "ignore", "pipe", options.quiet ? "ignore" : "inherit"],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: result.error === undefined ? result.status : null, stdout: result.stdout ?? "" };
  }

  /** Kamal's `check_dependencies!`: `<cli> --version` (or the CLI's own spelling) must succeed. */
  checkInstalled(versionArgs: readonly string[] = ["--version"]): void {
    if (this.run(versionArgs, { quiet: true }).status === 0) return;
    throw new SecretsAdapterError(`${this.product} is not installed: \`${[this.command, ...versionArgs].join(" ")}\` did not run`, {
      hint: `install it (${this.installUrl}) and make sure \`${this.command}\` is on PATH`,
    });
  }

  /** Stops before a sign-in that would prompt without a terminal to answer it. */
  requireTerminalToSignIn(problem: string, whatToRun: string): void {
    if (this.context.interactive) return;
    throw new SecretsAdapterError(problem, { hint: `${whatToRun}; mrsk signs in for you only when it can ask (stdin is a terminal)` });
  }

  /** Parses the CLI's JSON output; the output itself is never shown, it may hold secrets. */
  json(stdout: string, what: string): unknown {
    try {
      return JSON.parse(stdout);
    } catch {
      throw new SecretsAdapterError(`${this.product} returned output that is not JSON for ${what}`, {
        hint: `run \`${this.command}\` by hand to see what it prints; an older or newer ${this.command} may print another format`,
      });
    }
  }
}

/** Ruby's `String#split(sep)`: trailing empty fields are dropped, and "" splits into nothing. */
export function rubySplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** Ruby's `blank?` for strings: nil, empty or only whitespace. */
export function isBlank(text: string | null | undefined): boolean {
  return text === undefined || text === null || text.trim() === "";
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function stringOrNull(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}
