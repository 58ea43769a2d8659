import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command, Option } from "commander";
import type { Config } from "../config/model.js";
import { ConfigError, MrskError } from "../errors.js";
import type { GlobalOptions } from "./context.js";

// `aliases:` from deploy.yml: `console: app exec -i --reuse "bin/rails console"` makes
// `mrsk console [args]` run `mrsk app exec -i --reuse "bin/rails console" [args]`. An alias may not
// take a command's name, and must run a command (not another alias).

/** Splits a command line into words as a POSIX shell would: quotes and backslashes, no expansion. */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const add = (text: string): void => {
    word = (word ?? "") + text;
  };
  while (i < line.length) {
    const ch = line[i]!;
    if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new MrskError(`Unterminated ' in: ${line}`);
      add(line.slice(i + 1, end));
      i = end + 1;
    } else if (ch === '"') {
      let text = "";
      i++;
      for (;;) {
        if (i >= line.length) throw new MrskError(`Unterminated " in: ${line}`);
        const c = line[i]!;
        if (c === '"') break;
        if (c === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
          text += line[i + 1];
          i += 2;
        } else {
          text += c;
          i++;
        }
      }
      add(text);
      i++;
    } else if (ch === "\\" && i + 1 < line.length) {
      add(line[i + 1]!);
      i += 2;
    } else {
      add(ch);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Refuses aliases that take a command's name or run something that is not a command. */
export function checkAliasNames(config: Config, commandNames: ReadonlySet<string>): void {
  if (commandNames.size === 0) return;
  const file = config.files[0] ?? "config/deploy.yml";
  const issues = Object.entries(config.aliases).flatMap(([name, line]) => {
    if (commandNames.has(name)) {
      return [{ file, path: `aliases.${name}`, message: `"${name}" is a mrsk command; an alias cannot replace it`, hint: "give the alias another name" }];
    }
    const first = splitShellWords(line)[0];
    if (first === undefined || !commandNames.has(first)) {
      return [{ file, path: `aliases.${name}`, message: `runs ${JSON.stringify(first ?? "")}, which is not a mrsk command`, hint: `start it with a command, e.g. "app exec -i --reuse bin/rails console"` }];
    }
    return [];
  });
  if (issues.length > 0) throw new ConfigError(issues);
}

/** `argv` with the alias at `index` replaced by its words; what followed the alias comes after them. */
export function expandAlias(argv: readonly string[], index: number, words: readonly string[]): string[] {
  return [...argv.slice(0, index), ...words, ...argv.slice(index + 1)];
}

/** Where the command word is in `argv`: the first word that is neither an option nor an option's value. */
export function commandIndex(argv: readonly string[], options: readonly Option[]): number {
  const takesValue = new Set(options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined)));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return i + 1 < argv.length ? i + 1 : -1;
    if (!arg.startsWith("-") || arg === "-") return i;
    if (takesValue.has(arg)) i++;
  }
  return -1;
}

interface ParsedProgram {
  rawArgs?: string[];
  unknownCommand?: () => void;
}

/** Makes `mrsk <alias> [args]` run the alias's command line, read from the configuration. */
export function registerAliases(program: Command): void {
  program.on("command:*", (operands: string[]) => {
    void runAlias(program, operands[0]!).catch((error: unknown) => {
      process.stderr.write(`ERROR ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
  });
}

async function runAlias(program: Command, name: string): Promise<void> {
  const parsed = program as unknown as ParsedProgram;
  const unknownCommand = (): void => (parsed.unknownCommand === undefined ? program.error(`error: unknown command '${name}'`) : parsed.unknownCommand());
  const options = program.opts() as GlobalOptions;
  if (!existsSync(resolve(options.configFile ?? "config/deploy.yml"))) return unknownCommand();

  const { Context } = await import("./context.js");
  const { commandNames, reportError } = await import("./run.js");
  const ctx = await Context.create({ options, commandNames: commandNames(program) });
  let line: string | undefined;
  try {
    line = (await ctx.config()).aliases[name];
  } catch (error) {
    reportError(ctx.output, error, options.verbose === true);
    process.exitCode = error instanceof MrskError ? error.exitStatus : 1;
    return;
  } finally {
    await ctx.close();
  }
  if (line === undefined) return unknownCommand();

  const argv = parsed.rawArgs ?? process.argv.slice(2);
  const found = commandIndex(argv, program.options);
  const index = found < 0 ? argv.indexOf(name) : found;
  const { buildProgram } = await import("./main.js");
  await buildProgram().parseAsync(expandAlias(argv, index, splitShellWords(line)), { from: "user" });
}
