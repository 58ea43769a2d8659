import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { quote } from "../../commands/shell.js";
import { MrskError } from "../../errors.js";
import { shellOut } from "../shell-out.js";
import { extractSecret, fetchSecrets } from "./commands.js";
import { rubyShellsplit } from "./shell-words.js";
import type { AdapterEnvironment } from "./vendor-cli.js";

// `$(…)` in `.kamal/secrets`. Kamal runs `$(kamal secrets …)` in its own process instead of a
// shell; mrsk does the same for `kamal secrets …` and `mrsk secrets …`, so no Ruby Kamal is
// needed and no process is started. A command that only mentions kamal or mrsk inside larger
// shell text (`$(kamal secrets fetch … | jq -r .KEY)`) runs in /bin/sh with `kamal` and `mrsk`
// first on its PATH, both being this mrsk. Anything else runs in /bin/sh as before.

// `bin/kamal` (a binstub) counts too: without Ruby it could not run, and mrsk gives the same answer.
const INLINE = /^\s*(?:[^\s'"]*\/)?(?:kamal|mrsk)\s+secrets\s+/;
const MENTIONS_CLI = /(?:^|[\s;|&(`])(?:kamal|mrsk)(?=\s)/;

export interface CommandEnvironment {
  readonly cwd: string;
  /** Whether a vault sign-in may prompt (stdin is a terminal). */
  readonly interactive?: boolean;
}

/** Runs one `$(command)` of a secrets file and returns its stdout; throws when it fails. */
export function runSubstitutedCommand(command: string, env: Record<string, string | undefined>, where: CommandEnvironment): string {
  if (INLINE.test(command)) {
    const split = rubyShellsplit(command);
    if (!split.shellSyntax) return runInline(split.words.slice(1), { env, cwd: where.cwd, interactive: where.interactive ?? process.stdin.isTTY === true });
  }
  // Other commands' stderr stays hidden as before; mrsk's own errors through the shims are shown.
  const viaShims = MENTIONS_CLI.test(command);
  const shellEnv = viaShims ? { ...env, PATH: `${shimDirectory()}:${env.PATH ?? ""}` } : env;
  const { stdout, status } = shellOut(command, { cwd: where.cwd, env: shellEnv, stderr: viaShims ? "inherit" : "pipe" });
  if (status !== 0) throw Object.assign(new Error(`exit code ${status}`), status === null ? {} : { status });
  return stdout;
}

/** `secrets fetch|extract …` with Kamal's hidden `--inline`, parsed as Thor parses it. */
function runInline(words: readonly string[], context: AdapterEnvironment): string {
  const [group, subcommand, ...rest] = words;
  if (group !== "secrets") throw new MrskError(`Only \`secrets\` commands run inside a secrets file, not \`${group ?? ""}\``);
  const { options, positional } = parseOptions(rest);
  if (subcommand === "fetch") {
    const adapter = options.get("adapter");
    if (adapter === undefined) throw new MrskError("No value provided for required options '--adapter'", { hint: "e.g. `kamal secrets fetch --adapter 1password --account ACCOUNT --from VAULT/ITEM NAME…`" });
    return fetchSecrets({ adapter, account: options.get("account"), from: options.get("from"), names: positional, inline: true }, context);
  }
  if (subcommand === "extract") {
    if (positional.length !== 2) {
      throw new MrskError(`\`secrets extract\` takes a name and the fetched JSON, got ${positional.length} argument(s)`, { hint: "write `$(kamal secrets extract NAME $SECRETS)`" });
    }
    return extractSecret(positional[0]!, positional[1]!).replace(/\r?\n$/, "");
  }
  throw new MrskError(`\`secrets ${subcommand ?? ""}\` cannot run inside a secrets file`, { hint: "use `secrets fetch` and `secrets extract` there" });
}

const VALUE_OPTIONS: Readonly<Record<string, string>> = {
  "--adapter": "adapter",
  "-a": "adapter",
  "--account": "account",
  "--from": "from",
  // Kamal's class options are accepted and have no effect on fetch and extract.
  "--config-file": "config-file",
  "-c": "config-file",
  "--destination": "destination",
  "-d": "destination",
  "--version": "version",
  "--hosts": "hosts",
  "-h": "hosts",
  "--roles": "roles",
  "-r": "roles",
};
const FLAGS = new Set(["--inline", "--verbose", "-v", "--quiet", "-q", "--primary", "-p", "--skip-hooks", "-H"]);

function parseOptions(words: readonly string[]): { options: Map<string, string>; positional: string[] } {
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.startsWith("--") ? word.indexOf("=") : -1;
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const option = VALUE_OPTIONS[flag];
    if (option !== undefined) {
      const value = eq > 0 ? word.slice(eq + 1) : words[++i];
      if (value === undefined) throw new MrskError(`No value provided for option '${flag}'`);
      options.set(option, value);
    } else if (FLAGS.has(word)) {
      continue;
    } else if (word.startsWith("-") && word.length > 1) {
      throw new MrskError(`Unknown option ${word} for secrets`, { hint: "secrets fetch takes --adapter, --account and --from" });
    } else {
      positional.push(word);
    }
  }
  return { options, positional };
}

let shims: string | undefined;

/** A private directory with `kamal` and `mrsk` scripts that run this mrsk; removed at exit. */
function shimDirectory(): string {
  if (shims !== undefined) return shims;
  const directory = mkdtempSync(join(tmpdir(), "mrsk-shims-"));
  const bin = fileURLToPath(new URL("../../../bin/mrsk", import.meta.url));
  const script = `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(bin)} "$@"\n`;
  for (const name of ["kamal", "mrsk"]) {
    writeFileSync(join(directory, name), script);
    chmodSync(join(directory, name), 0o755);
  }
  process.once("exit", () => rmSync(directory, { recursive: true, force: true }));
  shims = directory;
  return directory;
}
