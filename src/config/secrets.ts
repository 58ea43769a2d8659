import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseDotenv, type DotenvContext } from "./dotenv.js";
import { readConfigFile } from "./local-file.js";

// Where secret values come from. A project with Kamal-style secrets files uses only them, as
// Kamal 2 does: `<secrets_path>-common`, then `<secrets_path>` (or `<secrets_path>.<dest>` with a
// destination; the plain file is then not read). A project without them is an MRSK project: its
// secrets are environment variables, after `.env.<dest>` and `.env` were loaded.

export const DEFAULT_SECRETS_PATH = ".kamal/secrets";

/** Told of every secret value as it is read, so it is masked before anything can print it. */
export type SecretObserver = (name: string, value: string) => void;

export class Secrets {
  private readonly observers: SecretObserver[] = [];

  constructor(
    private readonly values: ReadonlyMap<string, string>,
    /** The files (or "the environment") a name was looked up in, for error messages. */
    readonly searched: readonly string[],
    /** True for an MRSK project, whose secrets are environment variables. */
    readonly fromEnvironment: boolean,
  ) {}

  /** The one way to a secret's value: whoever reads it, the observers (the redactor) learn it first. */
  get(name: string): string | undefined {
    const value = this.values.get(name);
    if (value !== undefined) for (const observe of this.observers) observe(name, value);
    return value;
  }

  observe(observer: SecretObserver): void {
    this.observers.push(observer);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Every value, e.g. for hooks that receive all secrets; each is read through `get`. */
  entries(): Array<[string, string]> {
    return [...this.values.keys()].map((name) => [name, this.get(name)!]);
  }

  describeSearched(): string {
    return this.searched.join(", ");
  }
}

export interface SecretsOptions {
  cwd: string;
  destination: string | undefined;
  secretsPath: string | undefined;
  /** The environment after `.env` files were applied. */
  env: Record<string, string | undefined>;
}

export function secretsFiles(secretsPath: string, destination: string | undefined): string[] {
  return [`${secretsPath}-common`, destination === undefined ? secretsPath : `${secretsPath}.${destination}`];
}

export function loadSecrets(options: SecretsOptions): Secrets {
  const secretsPath = options.secretsPath ?? DEFAULT_SECRETS_PATH;
  const candidates = secretsFiles(secretsPath, options.destination);
  const present = candidates.filter((f) => existsSync(join(options.cwd, f)));

  if (present.length === 0 && options.secretsPath === undefined) {
    const values = new Map<string, string>();
    for (const [k, v] of Object.entries(options.env)) if (v !== undefined) values.set(k, v);
    const dotenvs = options.destination === undefined ? [".env"] : [`.env.${options.destination}`, ".env"];
    return new Secrets(values, [`the environment (with ${dotenvs.join(" and ")} loaded)`, ...candidates.map((c) => `${c} (absent)`)], true);
  }

  const values = new Map<string, string>();
  for (const file of present) {
    // Later files may refer to keys of earlier ones; the real environment still wins.
    const ctx: DotenvContext = { file, env: { ...Object.fromEntries(values), ...options.env }, cwd: options.cwd };
    for (const entry of parseDotenv(readConfigFile(join(options.cwd, file), file), ctx)) values.set(entry.key, entry.value);
  }
  return new Secrets(values, candidates, false);
}
