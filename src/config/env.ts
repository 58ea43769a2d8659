import { RUBY_CONTROL_ESCAPES } from "./ruby-values.js";

// Container environment: clear values go on the `docker run` line (so `${VAR}` still expands on the
// host, as MRSK documents), secret values go into an env file uploaded with mode 0600.

export interface EnvSpec {
  readonly clear: Readonly<Record<string, string>>;
  /** Secret references: the variable name in the container and the secret it is read from. */
  readonly secrets: readonly SecretRef[];
}

export interface SecretRef {
  readonly name: string;
  readonly secret: string;
}

export const emptyEnv: EnvSpec = { clear: {}, secrets: [] };

/** `NAME` or `NAME:SECRET` (Kamal's aliased secrets). */
export function parseSecretRef(entry: string): SecretRef {
  const colon = entry.indexOf(":");
  return colon < 0 ? { name: entry, secret: entry } : { name: entry.slice(0, colon), secret: entry.slice(colon + 1) };
}

/**
 * Reads `env:` in either form: a flat map (all clear) or `{clear, secret, tags}`.
 * Values were stringified by the schema.
 */
export function readEnv(raw: unknown): EnvSpec {
  if (raw === null || raw === undefined || typeof raw !== "object") return emptyEnv;
  const env = raw as Record<string, unknown>;
  const structured = "clear" in env || "secret" in env || "tags" in env;
  if (!structured) return { clear: stringRecord(env), secrets: [] };
  const secret = Array.isArray(env.secret) ? env.secret.map(String) : [];
  return { clear: stringRecord(env.clear), secrets: secret.map(parseSecretRef) };
}

/** Later specs win key by key for clear values; secret lists are joined (a name appears once). */
export function mergeEnv(...specs: EnvSpec[]): EnvSpec {
  const clear: Record<string, string> = {};
  const secrets = new Map<string, SecretRef>();
  for (const spec of specs) {
    Object.assign(clear, spec.clear);
    for (const ref of spec.secrets) secrets.set(ref.name, ref);
  }
  // A variable given as a secret is not also passed in the clear.
  for (const name of secrets.keys()) delete clear[name];
  return { clear, secrets: [...secrets.values()] };
}

function stringRecord(raw: unknown): Record<string, string> {
  if (raw === null || raw === undefined || typeof raw !== "object") return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = v === null || v === undefined ? "" : String(v);
  return out;
}

/**
 * One `KEY=value` line per variable in Docker's env-file format, which takes every character
 * literally and cannot hold a newline: values are escaped like Kamal does (Ruby's String#dump
 * without the outer quotes, keeping `"` and `#`), so both tools give containers the same value.
 */
export function envFileContent(values: ReadonlyArray<readonly [string, string]>): string {
  if (values.length === 0) return "\n";
  return values.map(([k, v]) => `${k}=${escapeEnvFileValue(v)}`).join("\n") + "\n";
}

export function escapeEnvFileValue(value: string): string {
  let out = "";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (RUBY_CONTROL_ESCAPES[ch] !== undefined) out += RUBY_CONTROL_ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}
