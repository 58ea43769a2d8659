import { ConfigError, MrskError } from "../errors.js";
import { runSubstitutedCommand } from "./secrets/inline.js";

// Reads dotenv files the way Ruby's dotenv does, since MRSK's `.env` and Kamal's `.kamal/secrets`
// are written for it: `export` prefixes, `#` comments, single quotes (literal), double quotes
// (escapes), multi-line quoted values, `${VAR}`/`$VAR` from the environment or earlier lines, and
// `$(command)` run by the shell (`$(kamal secrets …)` by mrsk itself, see secrets/inline.ts). A
// command that fails is an error here, not an empty secret.

export interface DotenvContext {
  /** The file name, for error messages. */
  file: string;
  /** The environment `$VAR` reads first (the real environment is never overridden). */
  env: Readonly<Record<string, string | undefined>>;
  /** Where `$(command)` runs. */
  cwd: string;
  /** Runs a `$(command)`; returns stdout or throws with the exit status. */
  exec?: (command: string, env: Record<string, string | undefined>) => string;
}

export interface DotenvEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

const LINE = /^[ \t]*(?:export[ \t]+)?([\w.-]+)(?:[ \t]*=[ \t]*|:[ \t]+)/;

export function parseDotenv(text: string, ctx: DotenvContext): DotenvEntry[] {
  const entries: DotenvEntry[] = [];
  const known: Record<string, string> = {};
  // A UTF-8 byte order mark (Windows editors write one) is not part of the first key.
  const lines = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n").split("\n");

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (/^\s*(#.*)?$/.test(raw)) continue;
    const m = LINE.exec(raw);
    if (!m) {
      // Never quote the line: this file holds secrets, and the line may be one.
      throw ConfigError.single(ctx.file, "", `line ${i + 1} is not KEY=value (the line is not shown: it may hold a secret)`, "write NAME=value, and quote values that contain spaces or #");
    }
    const key = m[1]!;
    const lineNo = i + 1;
    let rest = raw.slice(m[0].length);
    let value: string;
    const quote = rest[0];

    if (quote === "'" || quote === '"') {
      // A quoted value may continue over several lines until its closing quote.
      // Each line is scanned on its own (a line break is never the quote, escaped or not): rescanning
      // the joined text once per line took time quadratic in the number of lines.
      const bodyLines = [rest.slice(1)];
      let close = findClosingQuote(bodyLines[0]!, quote);
      while (close < 0 && i + 1 < lines.length) {
        bodyLines.push(lines[++i]!);
        close = findClosingQuote(bodyLines[bodyLines.length - 1]!, quote);
      }
      if (close < 0) throw ConfigError.single(ctx.file, "", `line ${lineNo}: ${key} has no closing ${quote}`);
      bodyLines.push(bodyLines.pop()!.slice(0, close));
      const inner = bodyLines.join("\n");
      value = quote === "'" ? inner : substitute(unescapeDouble(inner), key, lineNo, known, ctx);
    } else {
      rest = withoutComment(rest).trim();
      value = substitute(rest, key, lineNo, known, ctx);
    }

    known[key] = value;
    entries.push({ key, value, line: lineNo });
  }
  return entries;
}

function findClosingQuote(body: string, quote: string): number {
  for (let j = 0; j < body.length; j++) {
    if (body[j] === "\\" && quote === '"') {
      j++;
      continue;
    }
    if (body[j] === quote) return j;
  }
  return -1;
}

/**
 * `value` without its trailing comment, exactly what `value.replace(/\s+#.*$/, "")` gives, in one
 * pass: V8 runs that regex in time quadratic in a long run of spaces, and no signal interrupts it.
 * The comment is the first `#` after whitespace whose rest of the line holds no line terminator
 * (`.` stops at one); the whitespace run before that `#` goes with it.
 */
function withoutComment(value: string): string {
  let lastTerminator = -1;
  for (let j = 0; j < value.length; j++) if (LINE_TERMINATORS.has(value[j]!)) lastTerminator = j;
  let runStart = -1;
  for (let j = 0; j < value.length; j++) {
    const ch = value[j]!;
    if (/\s/.test(ch)) {
      if (runStart < 0) runStart = j;
      continue;
    }
    if (ch === "#" && runStart >= 0 && j > lastTerminator) return value.slice(0, runStart);
    runStart = -1;
  }
  return value;
}

const LINE_TERMINATORS = new Set(["\n", "\r", "\u2028", "\u2029"]);

function unescapeDouble(text: string): string {
  return text.replace(/\\([nrt"\\$])/g, (_, c: string) =>
    c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c === "$" ? "\\$" : c,
  );
}

/**
 * One pass over the value: `\$` is a literal dollar, `$(…)` runs a command (its own `$VAR`s
 * substituted first), `${VAR}`/`$VAR` are looked up; command output is never substituted again.
 */
function substitute(
  value: string,
  key: string,
  line: number,
  known: Record<string, string>,
  ctx: DotenvContext,
): string {
  const lookup = (name: string): string => ctx.env[name] ?? known[name] ?? "";
  const expandVars = (text: string): string =>
    text.replace(/(\\)?\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/g, (whole, escaped: string | undefined, curly: string | undefined, bare: string | undefined) =>
      escaped ? whole.slice(1) : lookup((curly ?? bare)!),
    );
  let out = "";
  for (let i = 0; i < value.length; i++) {
    if (value[i] === "\\" && value[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    if (value[i] === "$" && value[i + 1] === "(") {
      const end = closingParen(value, i + 2);
      if (end > 0) {
        const written = value.slice(i + 2, end);
        out += runCommand(expandVars(written), written, key, line, known, ctx);
        i = end;
        continue;
      }
    }
    const variable = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/.exec(value.slice(i));
    if (variable) {
      out += lookup((variable[1] ?? variable[2])!);
      i += variable[0].length - 1;
      continue;
    }
    out += value[i];
  }
  return out;
}

/** Index of the `)` closing a `$(` whose body starts at `from`, or -1; `\(` and `\)` do not count, as in Kamal. */
function closingParen(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === "(") depth++;
    else if (text[j] === ")" && --depth === 0) return j;
  }
  return -1;
}

/** Runs `command`; errors show it as `written` in the file, before variables were substituted. */
function runCommand(command: string, written: string, key: string, line: number, known: Record<string, string>, ctx: DotenvContext): string {
  const env = { ...known, ...ctx.env };
  const exec = ctx.exec ?? defaultExec(ctx.cwd);
  try {
    return withoutTrailingNewlines(exec(command, env));
  } catch (error) {
    if (error instanceof MrskError) {
      throw ConfigError.single(ctx.file, "", `line ${line}: the command for ${key} failed: $(${written}): ${error.message}`, error.hint);
    }
    const status = (error as { status?: number }).status;
    throw ConfigError.single(
      ctx.file,
      "",
      `line ${line}: the command for ${key} failed${status === undefined ? "" : ` with exit code ${status}`}: $(${written})`,
      "run it in a shell to see why; its output is not shown because it may be a secret",
    );
  }
}

function defaultExec(cwd: string) {
  return (command: string, env: Record<string, string | undefined>): string => runSubstitutedCommand(command, env, { cwd });
}

/** `.env` files as MRSK loads them: each key is set only if the environment does not have it yet. */
export function applyWithoutOverride(env: Record<string, string | undefined>, entries: readonly DotenvEntry[]): void {
  for (const { key, value } of entries) if (env[key] === undefined) env[key] = value;
}

/** What `.replace(/\n+$/, "")` gives, without its quadratic backtracking on many inner newlines. */
function withoutTrailingNewlines(output: string): string {
  let end = output.length;
  while (end > 0 && output[end - 1] === "\n") end--;
  return output.slice(0, end);
}
