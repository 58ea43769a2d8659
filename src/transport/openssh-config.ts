// OpenSSH client configuration files (`ssh.config`): reading them, following `Include`, and
// looking up what they say for one host. Parsing and the first-obtained-value-wins lookup are
// the `ssh-config` package's; this file adds the files, `Include`, and typed values.
import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import SSHConfig, { glob, LineType, type Directive, type Line, type Section } from "ssh-config";
import { ConnectionError } from "../errors.js";
import type { SshConfigFile } from "./types.js";

/** What the files say for one host, values still unexpanded; absent keys were not set. */
export interface HostConfig {
  readonly hostName?: string;
  readonly user?: string;
  readonly port?: string;
  readonly identityFiles: readonly string[];
  readonly identitiesOnly?: string;
  readonly identityAgent?: string;
  readonly proxyJump?: string;
  readonly proxyCommand?: string;
  readonly userKnownHostsFiles?: readonly string[];
  readonly strictHostKeyChecking?: string;
  readonly connectTimeout?: string;
  readonly serverAliveInterval?: string;
  /** The `Host` entries that applied, as `file: Host pattern…`, for `ssh.log_level: debug`. */
  readonly entries: readonly string[];
}

// Include may nest; OpenSSH stops at 16 levels.
const MAX_INCLUDE_DEPTH = 16;

export class OpenSshConfig {
  private constructor(
    /** The files that were read, in order. */
    readonly files: readonly string[],
    private readonly lines: SSHConfig,
    private readonly origin: WeakMap<Line, string>,
  ) {}

  static async read(files: readonly SshConfigFile[]): Promise<OpenSshConfig> {
    const combined = new SSHConfig();
    const origin = new WeakMap<Line, string>();
    const read: string[] = [];
    for (const file of files) {
      const path = expandHomeDir(file.path);
      const text = await readConfigText(path, file.optional);
      if (text === undefined) continue;
      read.push(path);
      const includeBase = path.startsWith("/etc/") ? "/etc/ssh" : join(homedir(), ".ssh");
      combined.push(...(await expandIncludes(parseFile(path, text), { path, includeBase, origin, depth: 0 })));
    }
    return new OpenSshConfig(read, combined, origin);
  }

  /** What applies to `host` (the name as written in deploy.yml); `user` is the one deploy.yml sets, if any. */
  lookup(host: string, user?: string): HostConfig {
    // Match exec would run shell commands from the file: never evaluated (net-ssh does not either).
    const computed = this.lines.compute(user === undefined ? { Host: host } : { Host: host, User: user }, { ignoreCase: true, matchExec: false });
    const one = (key: string): string | undefined => {
      const value = computed[key];
      return Array.isArray(value) ? value.join(" ") : value;
    };
    const list = (key: string): string[] | undefined => {
      const value = computed[key];
      return value === undefined ? undefined : Array.isArray(value) ? value : [value];
    };
    return {
      hostName: one("hostname"),
      user: user === undefined ? one("user") : undefined,
      port: one("port"),
      identityFiles: list("identityfile") ?? [],
      identitiesOnly: one("identitiesonly"),
      identityAgent: one("identityagent"),
      // Whichever of ProxyJump and ProxyCommand comes first wins, as in OpenSSH.
      ...firstProxy(this.lines, host, computed),
      userKnownHostsFiles: list("userknownhostsfile"),
      strictHostKeyChecking: one("stricthostkeychecking"),
      connectTimeout: one("connecttimeout"),
      serverAliveInterval: one("serveraliveinterval"),
      entries: this.matchingEntries(host),
    };
  }

  private matchingEntries(host: string): string[] {
    return this.lines
      .filter((line): line is Section => isSection(line) && /^host$/i.test(line.param) && glob(values(line), host))
      .map((line) => `${this.origin.get(line) ?? "?"}: Host ${values(line).join(" ")}`);
  }
}

function firstProxy(lines: SSHConfig, host: string, computed: Record<string, string | string[]>): { proxyJump?: string; proxyCommand?: string } {
  const jump = computed.proxyjump;
  const command = computed.proxycommand;
  if (jump === undefined || command === undefined) {
    return { proxyJump: jump === undefined ? undefined : String(jump), proxyCommand: command === undefined ? undefined : String(command) };
  }
  // Both are set somewhere: the one met first in the files applies.
  for (const line of applicableDirectives(lines, host)) {
    if (/^proxyjump$/i.test(line.param)) return { proxyJump: String(jump) };
    if (/^proxycommand$/i.test(line.param)) return { proxyCommand: String(command) };
  }
  return { proxyJump: String(jump) };
}

function* applicableDirectives(lines: SSHConfig, host: string): Generator<Directive> {
  for (const line of lines) {
    if (line.type !== LineType.DIRECTIVE) continue;
    if (!isSection(line)) yield line;
    else if (/^host$/i.test(line.param) && glob(values(line), host)) yield* line.config.filter(isDirective);
  }
}

function isDirective(line: Line): line is Directive {
  return line.type === LineType.DIRECTIVE;
}

function isSection(line: Line): line is Section {
  return line.type === LineType.DIRECTIVE && "config" in line;
}

function values(line: Directive): string[] {
  return Array.isArray(line.value) ? line.value.map((v) => v.val) : [line.value];
}

function parseFile(path: string, text: string): SSHConfig {
  try {
    return SSHConfig.parse(text);
  } catch (error) {
    throw configError(path, `cannot be parsed: ${(error as Error).message}`);
  }
}

interface IncludeContext {
  readonly path: string;
  readonly includeBase: string;
  readonly origin: WeakMap<Line, string>;
  readonly depth: number;
}

/**
 * The file's lines with every `Include` replaced by the included files' lines. An Include inside a
 * Host/Match section applies to that section: the included directives join it, and where the
 * included file opens sections of its own, the enclosing section is reopened after them.
 */
async function expandIncludes(parsed: SSHConfig, context: IncludeContext): Promise<Line[]> {
  const out: Line[] = [];
  const mark = <T extends Line>(line: T): T => {
    if (!context.origin.has(line)) context.origin.set(line, context.path);
    return line;
  };
  for (const line of parsed) {
    if (isInclude(line)) {
      out.push(...(await included(line as Directive, context)));
    } else if (isSection(line)) {
      let section = mark(reopen(line));
      out.push(section);
      for (const inner of line.config) {
        if (!isInclude(inner)) {
          section.config.push(inner);
          continue;
        }
        const lines = await included(inner as Directive, context);
        let target = section;
        for (const includedLine of lines) {
          if (isSection(includedLine)) out.push((target = includedLine));
          else target.config.push(includedLine);
        }
        if (target !== section) {
          section = reopen(line);
          context.origin.set(section, context.path);
          out.push(section);
        }
      }
    } else {
      out.push(mark(line));
    }
  }
  return out;
}

function reopen(section: Section): Section {
  return { ...section, config: new SSHConfig() };
}

function isInclude(line: Line): boolean {
  return line.type === LineType.DIRECTIVE && /^include$/i.test(line.param);
}

async function included(line: Directive, context: IncludeContext): Promise<Line[]> {
  if (context.depth >= MAX_INCLUDE_DEPTH) throw configError(context.path, `Include nests deeper than ${MAX_INCLUDE_DEPTH} levels`);
  const lines: Line[] = [];
  for (const pattern of values(line)) {
    const expanded = expandHomeDir(pattern);
    for (const path of await globFiles(isAbsolute(expanded) ? expanded : join(context.includeBase, expanded))) {
      const text = await readConfigText(path, true);
      if (text === undefined) continue;
      lines.push(...(await expandIncludes(parseFile(path, text), { ...context, path, depth: context.depth + 1 })));
    }
  }
  return lines;
}

/** Files matching `pattern`, whose last part may hold `*` and `?` (as `Include config.d/*`). */
async function globFiles(pattern: string): Promise<string[]> {
  const name = basename(pattern);
  if (!/[*?]/.test(name)) return [pattern];
  const dir = dirname(pattern);
  if (/[*?]/.test(dir)) throw configError(pattern, "Include patterns may use * and ? in the file name only");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((candidate) => !candidate.startsWith(".") && glob(name, candidate))
    .sort()
    .map((candidate) => resolve(dir, candidate));
}

async function readConfigText(path: string, optional: boolean): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (optional && (code === "ENOENT" || code === "ENOTDIR")) return undefined;
    throw configError(path, `cannot be read: ${(error as Error).message}`);
  }
}

export function expandHomeDir(path: string): string {
  if (path === "~") return homedir();
  return path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

function configError(path: string, message: string): ConnectionError {
  return new ConnectionError(path, `the OpenSSH config file ${path} ${message}`, {
    hint: "Fix the file, or choose the files mrsk reads with ssh.config (a path, a list of paths, or false for none).",
  });
}
