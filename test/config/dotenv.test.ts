import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyWithoutOverride, parseDotenv } from "../../src/config/dotenv.js";
import { loadSecrets } from "../../src/config/secrets.js";
import { ConfigError } from "../../src/errors.js";

const parse = (text: string, env: Record<string, string> = {}) =>
  Object.fromEntries(parseDotenv(text, { file: ".env", env, cwd: tmpdir() }).map((e) => [e.key, e.value]));

describe("parseDotenv, as Ruby's dotenv reads .env and .kamal/secrets", () => {
  it("reads plain, exported, commented and quoted values", () => {
    expect(
      parse(`# comment\nA=1\nexport B=two words # trailing comment\nC='single $HOME'\nD="double\\nline"\nE:  colon\n\nF=`),
    ).toEqual({ A: "1", B: "two words", C: "single $HOME", D: "double\nline", E: "colon", F: "" });
  });

  it("substitutes $VAR and ${VAR} from the environment first, then from earlier lines", () => {
    expect(parse("A=file\nB=$A-${A}\nC=$HOME_X\nD=\\$A", { A: "env", HOME_X: "/h" })).toEqual({ A: "file", B: "env-env", C: "/h", D: "$A" });
    expect(parse("A=file\nB=${A}")).toEqual({ A: "file", B: "file" });
  });

  it("runs $(command) after variable substitution, trimming the trailing newline", () => {
    expect(parse("A=abc\nB=$(echo $A | tr a-z A-Z)\nC=\"pre-$(printf x)\"\nD='$(echo no)'")).toEqual({ A: "abc", B: "ABC", C: "pre-x", D: "$(echo no)" });
  });

  it("reads quoted values over several lines", () => {
    expect(parse('KEY="-----BEGIN\nabc\n-----END"\nNEXT=1')).toEqual({ KEY: "-----BEGIN\nabc\n-----END", NEXT: "1" });
  });

  it("fails on a command that fails, naming the file, line and key but not its output", () => {
    const run = () => parseDotenv("OK=1\nTOKEN=$(printf %s $HIDDEN; exit 3)", { file: ".kamal/secrets", env: { HIDDEN: "s3cr3t" }, cwd: tmpdir() });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/\.kamal\/secrets: line 2: the command for TOKEN failed with exit code 3/);
    expect(run).not.toThrow(/s3cr3t/);
  });

  it("rejects a line that is not KEY=value", () => {
    expect(() => parse("just words")).toThrow(/line 1 is not KEY=value/);
  });

  it("applies .env values without overriding the environment", () => {
    const env: Record<string, string | undefined> = { A: "real" };
    applyWithoutOverride(env, parseDotenv("A=file\nB=file", { file: ".env", env, cwd: tmpdir() }));
    expect(env).toEqual({ A: "real", B: "file" });
  });
});

describe("loadSecrets", () => {
  const project = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "mrsk-secrets-"));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, ".."), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  };

  it("reads secrets-common then secrets, later files winning", () => {
    const cwd = project({ ".kamal/secrets-common": "A=common\nB=common", ".kamal/secrets": "B=plain" });
    const secrets = loadSecrets({ cwd, destination: undefined, secretsPath: undefined, env: {} });
    expect([secrets.get("A"), secrets.get("B"), secrets.fromEnvironment]).toEqual(["common", "plain", false]);
  });

  it("with a destination reads secrets.<dest> and never the plain secrets file", () => {
    const cwd = project({ ".kamal/secrets": "A=plain\nB=plain", ".kamal/secrets.staging": "A=staging" });
    const secrets = loadSecrets({ cwd, destination: "staging", secretsPath: undefined, env: {} });
    expect(secrets.get("A")).toBe("staging");
    expect(secrets.has("B")).toBe(false);
    expect(secrets.describeSearched()).toBe(".kamal/secrets-common, .kamal/secrets.staging");
  });

  it("falls back to the environment for an MRSK project without secrets files", () => {
    const cwd = project({});
    const secrets = loadSecrets({ cwd, destination: undefined, secretsPath: undefined, env: { RAILS_MASTER_KEY: "k" } });
    expect(secrets.get("RAILS_MASTER_KEY")).toBe("k");
    expect(secrets.fromEnvironment).toBe(true);
    expect(secrets.describeSearched()).toMatch(/^the environment \(with \.env loaded\)/);
  });

  it("honours secrets_path", () => {
    const cwd = project({ "config/secrets": "A=1" });
    expect(loadSecrets({ cwd, destination: undefined, secretsPath: "config/secrets", env: {} }).get("A")).toBe("1");
  });
});
