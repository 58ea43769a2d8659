import { referenceSections, sectionForKeyPath } from "./config/reference.js";

// Errors are values with fields; `output/` formats them once. Each kind carries what a user
// needs to act: where (file, key path, host), what (command, exit code, stderr) and a hint.

export class MrskError extends Error {
  readonly hint: string | undefined;
  /** The exit status of the mrsk process when this error ends it. */
  readonly exitStatus: number;

  constructor(message: string, options: { hint?: string; exitStatus?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.exitStatus = options.exitStatus ?? 1;
  }
}

export interface ConfigIssue {
  /** The file the offending value came from (the base file or a destination overlay). */
  readonly file: string;
  /** Key path in the merged configuration, like `servers.web.hosts[1]`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
  /** 1-based line in `file`, when known (ERB and YAML syntax errors). */
  readonly line?: number;
}

/** One or more problems with the configuration, all reported at once. */
export class ConfigError extends MrskError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(formatIssues(issues));
    this.issues = issues;
  }

  static single(file: string, path: string, message: string, hint?: string): ConfigError {
    return new ConfigError([{ file, path, message, ...(hint === undefined ? {} : { hint }) }]);
  }
}

function formatIssues(issues: readonly ConfigIssue[]): string {
  const head = issues.length === 1 ? "Invalid configuration" : `Invalid configuration (${issues.length} problems)`;
  return [head, ...issues.map((i) => `  ${formatIssue(i)}`)].join("\n");
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  const key = issue.path === "" ? "" : ` ${issue.path}:`;
  const section = issue.path === "" ? undefined : docsSectionFor(issue.path);
  const read = section === undefined ? undefined : `see \`mrsk docs ${section}\``;
  const hint = [issue.hint, read].filter((part) => part !== undefined).join("; ");
  return `${where}:${key} ${issue.message}${hint === "" ? "" : ` (${hint})`}`;
}

/** The `mrsk docs` section documenting a key path; none when the reference cannot be read. */
function docsSectionFor(keyPath: string): string | undefined {
  try {
    return sectionForKeyPath(referenceSections(), keyPath);
  } catch {
    return undefined;
  }
}

export interface CommandFailure {
  readonly host: string;
  /** The command line as shown to users: secrets already redacted. */
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal?: string | undefined;
  readonly stderr: string;
  readonly stdout: string;
}

const STDERR_TAIL_LINES = 15;

export function tail(text: string, lines = STDERR_TAIL_LINES): string {
  const all = text.replace(/\s+$/, "").split("\n");
  return all.slice(-lines).join("\n");
}

/** A command that exited non-zero (or could not run) on a host. */
export class RemoteCommandError extends MrskError implements CommandFailure {
  readonly host: string;
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | undefined;
  readonly stderr: string;
  readonly stdout: string;

  constructor(failure: CommandFailure, hint?: string) {
    const status = failure.exitCode === null ? `signal ${failure.signal ?? "unknown"}` : `exit code ${failure.exitCode}`;
    const detail = tail(failure.stderr || failure.stdout);
    super(
      `Command failed on ${failure.host} with ${status}: ${failure.command}` + (detail ? `\n${indent(detail)}` : ""),
      hint === undefined ? {} : { hint },
    );
    this.host = failure.host;
    this.command = failure.command;
    this.exitCode = failure.exitCode;
    this.signal = failure.signal;
    this.stderr = failure.stderr;
    this.stdout = failure.stdout;
  }
}

/** A host that could not be reached or authenticated. */
export class ConnectionError extends MrskError {
  readonly host: string;

  constructor(host: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`Could not connect to ${host}: ${message}`, options);
    this.host = host;
  }
}

/** Several hosts failed in one fan-out; every failure is kept. */
export class MultiHostError extends MrskError {
  readonly errors: readonly Error[];

  constructor(errors: readonly Error[]) {
    super(
      errors.length === 1
        ? errors[0]!.message
        : `Failures on ${errors.length} hosts:\n${errors.map((e) => indent(e.message)).join("\n")}`,
      { cause: errors[0] },
    );
    this.errors = errors;
  }
}

export function indent(text: string, prefix = "    "): string {
  return text
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}
