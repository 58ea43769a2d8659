import { execFileSync } from "node:child_process";
import { closeSync, existsSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { ConfigError } from "../errors.js";
import { applyWithoutOverride, parseDotenv } from "./dotenv.js";
import { RubyError } from "./erb-errors.js";
import { renderErb } from "./erb.js";

// `mrsk envify [-d DEST]`, MRSK 0.13's: `.env.erb` (`.env.DEST.erb`) rendered into `.env`
// (`.env.DEST`) with mode 0600. As in MRSK, `.env.DEST` and `.env` are loaded into ENV first.
// Unlike Ruby's backticks, a shell-out that fails is an error: an empty password written into
// `.env` would only fail later, on the servers. The file is written whole or not at all: rendered
// in memory, written to a 0600 temporary file beside it, then renamed over the old one.

export interface EnvifyOptions {
  readonly cwd: string;
  readonly destination?: string | undefined;
  /** The environment (a copy; `.env` files are applied to it). */
  readonly env: Record<string, string | undefined>;
  /** Whether shell-outs may read the terminal (e.g. `op signin` asking for a password). */
  readonly interactive?: boolean;
}

export interface EnvifyResult {
  readonly template: string;
  readonly written: string;
}

export function envify(options: EnvifyOptions): EnvifyResult {
  const { cwd, destination, env } = options;
  const target = destination === undefined ? ".env" : `.env.${destination}`;
  const template = `${target}.erb`;
  const templatePath = join(cwd, template);
  if (!existsSync(templatePath)) {
    throw ConfigError.single(template, "", "template not found", `create ${template} (e.g. DB_PASSWORD=<%= \`op read op://Vault/app/db-password\` %>)${destination === undefined ? ", or pass -d DEST for .env.DEST.erb" : ""}`);
  }
  for (const file of destination === undefined ? [".env"] : [`.env.${destination}`, ".env"]) {
    const path = join(cwd, file);
    if (existsSync(path)) applyWithoutOverride(env, parseDotenv(readFileSync(path, "utf8"), { file, env, cwd }));
  }
  const interactive = options.interactive ?? process.stdin.isTTY === true;
  const text = renderErb(readFileSync(templatePath, "utf8"), { file: template, env, cwd, exec: (command) => runFailingLoudly(command, cwd, env, interactive) });
  writePrivateFileAtomically(join(cwd, target), text);
  return { template, written: target };
}

/** Backticks that raise when the command fails; the line is added by the ERB engine. */
function runFailingLoudly(command: string, cwd: string, env: Record<string, string | undefined>, interactive: boolean): string {
  const definedEnv = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  try {
    return execFileSync("/bin/sh", ["-c", command], {
      cwd,
      env: definedEnv,
      encoding: "utf8",
      stdio: [interactive ? "inherit" : "ignore", "pipe", "inherit"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const status = (error as { status?: number | null }).status;
    // The command as written is quoted by the engine; the expanded one may hold a session token.
    throw new RubyError(
      "RuntimeError",
      `a shell command failed${typeof status === "number" ? ` with exit status ${status}` : ""}, so nothing was written`,
      "run the command in a shell to see why (its output is not shown: it may be a secret)",
    );
  }
}

/** Writes `path` with mode 0600 set before any byte lands, replacing it only once complete. */
function writePrivateFileAtomically(path: string, text: string): void {
  const temporary = join(dirname(path), `.${randomBytes(6).toString("hex")}.mrsk-tmp`);
  const fd = openSync(temporary, "wx", 0o600);
  try {
    try {
      // The umask can only take permissions away; this makes the mode exact.
      fchmodSync(fd, 0o600);
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
