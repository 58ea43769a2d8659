// `Dotenv.load` for ERB in deploy files (Kamal 2 no longer loads .env itself, so overlays do it
// from ERB). Parses the format of the Ruby dotenv gem (3.x): `KEY=value` lines, optional `export`,
// quotes, comments, `${VAR}` expansion and `$(command)` substitution.

// The dotenv gem's LINE pattern.
const LINE =
  /^\s*(?:export\s+)?([\w.]+)(?:(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|[^#\n]+)?)?\s*(?:#.*)?$/gm;
const VARIABLE = /(\\)?\$(?!\()(\{)?([A-Z0-9_]+)?(\})?/gi;

export interface DotenvSubstitution {
  /** Value of `$NAME` / `${NAME}`: the gem prefers the process environment when not overwriting. */
  lookup(name: string): string | undefined;
  /** Runs `$(command)` and returns its stdout. */
  exec(command: string): string;
}

/** The `KEY=value` pairs of a dotenv file, in order, with later ones seeing earlier ones. */
export function parseDotenv(text: string, substitution: DotenvSubstitution): Array<[string, string]> {
  const parsed = new Map<string, string>();
  const lookup = (name: string): string => substitution.lookup(name) ?? parsed.get(name) ?? "";
  for (const match of text.replace(/\r\n?/g, "\n").matchAll(LINE)) {
    const key = match[1] ?? "";
    parsed.set(key, parseValue(match[2] ?? "", lookup, substitution.exec));
  }
  return [...parsed.entries()];
}

function parseValue(raw: string, lookup: (name: string) => string, exec: (command: string) => string): string {
  let value = raw.trim();
  const quoted = /^(['"])([\s\S]*)\1$/.exec(value);
  const quote = quoted?.[1];
  if (quoted) value = quoted[2] ?? "";
  if (quote === "'") return value;
  if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
  value = value.replace(/\\([^$])/g, "$1");
  value = value.replace(VARIABLE, (whole: string, escaped?: string, brace?: string, name?: string) => {
    if (escaped) return whole.slice(1);
    if (name === undefined || name === "") return whole;
    return brace && !whole.endsWith("}") ? whole : lookup(name);
  });
  return substituteCommands(value, exec);
}

/** `$(command)` with balanced parentheses; `\$(…)` stays literal (minus the backslash). */
function substituteCommands(value: string, exec: (command: string) => string): string {
  let out = "";
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf("$(", i);
    if (start === -1) break;
    const end = closingParen(value, start + 1);
    if (end === -1) break;
    out += value.slice(i, start);
    if (value[start - 1] === "\\") out = out.slice(0, -1) + value.slice(start, end + 1);
    else out += exec(value.slice(start + 2, end)).replace(/\r?\n$/, "");
    i = end + 1;
  }
  return out + value.slice(i);
}

function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    if (text[i] === ")" && --depth === 0) return i;
  }
  return -1;
}
