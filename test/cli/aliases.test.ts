import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { checkAliasNames, commandIndex, expandAlias, splitShellWords } from "../../src/cli/aliases.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

describe("splitShellWords", () => {
  it("splits on blanks and keeps quoted text together, as a shell does", () => {
    expect(splitShellWords(`app exec -i --reuse "bin/rails console"`)).toEqual(["app", "exec", "-i", "--reuse", "bin/rails console"]);
    expect(splitShellWords(`  app  exec 'echo "hi there"' a\\ b "x\\"y" ''`)).toEqual(["app", "exec", 'echo "hi there"', "a b", 'x"y', ""]);
    expect(splitShellWords(`a"b c"'d'`)).toEqual(["ab cd"]);
  });

  it("refuses an unterminated quote", () => {
    expect(() => splitShellWords(`app exec "oops`)).toThrow('Unterminated " in: app exec "oops');
  });
});

describe("alias expansion", () => {
  const program = new Command().option("-d, --destination <name>").option("-v, --verbose").option("--version <version>");

  it("finds the command word after global options and their values", () => {
    expect(commandIndex(["-d", "console", "console", "-x"], program.options)).toBe(2);
    expect(commandIndex(["-v", "--version", "3", "console"], program.options)).toBe(3);
    expect(commandIndex(["console"], program.options)).toBe(0);
  });

  it("puts the alias's words where the alias was, and what followed after them", () => {
    expect(expandAlias(["-d", "staging", "console", "--sandbox"], 2, ["app", "exec", "-i", "bin/rails console"])).toEqual([
      "-d",
      "staging",
      "app",
      "exec",
      "-i",
      "bin/rails console",
      "--sandbox",
    ]);
  });
});

describe("alias names", () => {
  const names = new Set(["app", "deploy", "help"]);
  const withAliases = (aliases: string) => configFrom(`${MRSK_MINIMAL}aliases:\n${aliases}`, { env: MRSK_SECRETS });

  it("accept an alias that runs a command", () => {
    expect(() => checkAliasNames(withAliases('  console: app exec -i --reuse "bin/rails console"\n'), names)).not.toThrow();
  });

  it("refuse an alias named like a command, or running something else than a command", () => {
    expect(() => checkAliasNames(withAliases("  deploy: app boot\n  shell: bash -l\n"), names)).toThrow(
      [
        "Invalid configuration (2 problems)",
        '  config/deploy.yml: aliases.deploy: "deploy" is a mrsk command; an alias cannot replace it (give the alias another name; see `mrsk docs configuration`)',
        '  config/deploy.yml: aliases.shell: runs "bash", which is not a mrsk command (start it with a command, e.g. "app exec -i --reuse bin/rails console"; see `mrsk docs configuration`)',
      ].join("\n"),
    );
  });
});
