import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { parseDotenv } from "../../src/config/dotenv.js";
import { renderErb } from "../../src/config/erb.js";
import { parseRubyYaml } from "../../src/config/ruby-yaml.js";
import { matches } from "../../src/glob.js";
import { ConfigError } from "../../src/errors.js";

// Each input below made a backtracking regex run for seconds to hours (quadratic or worse in its
// length) while no signal handler could run. The size is the test: a regression does not finish
// before vitest's timeout. Nothing here measures time.
const N = 200_000;
const spaces = " ".repeat(N);
const newlines = "\n".repeat(N);

function erb(template: string, env: Record<string, string>): string {
  return renderErb(template, {
    file: "config/deploy.yml",
    env,
    cwd: tmpdir(),
    exec: (command) => {
      throw new Error(`unexpected shell-out: ${command}`);
    },
  });
}

function dotenv(text: string, exec?: (command: string) => string): Record<string, string> {
  const entries = parseDotenv(text, { file: ".env", env: {}, cwd: tmpdir(), ...(exec === undefined ? {} : { exec }) });
  return Object.fromEntries(entries.map((e) => [e.key, e.value]));
}

function yamlError(text: string): ConfigError {
  try {
    parseRubyYaml(text, "config/deploy.yml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the YAML to fail");
}

describe("config input cannot make a regex backtrack for ages", () => {
  it("strips, rstrips and chomps a long inner run of whitespace in ERB", () => {
    const inner = `a${spaces}b`;
    expect(erb(`<%= ENV["X"].rstrip %>`, { X: `${inner}\t\0 ` })).toBe(inner);
    expect(erb(`<%= ENV["X"].strip %>`, { X: ` \n${inner} ` })).toBe(inner);
    expect(erb(`<%= ENV["X"].lstrip %>`, { X: `${spaces}${inner}` })).toBe(inner);
    expect(erb(`<%= ENV["X"].chomp("") %>`, { X: `a${newlines}b\r\n\n` })).toBe(`a${newlines}b`);
    expect(erb(`<%= ENV["X"].chomp("") %>|`, { X: `a\r\r\n` })).toBe("a\r|");
  });

  it("reads a .env value with a long run of spaces, with and without a comment after it", () => {
    expect(dotenv(`A=a${spaces}b\nB=b${spaces}# note\nC=c${spaces}#`)).toEqual({ A: `a${spaces}b`, B: "b", C: "c" });
    expect(dotenv("A=a#b\nB=b # c # d\nC=c\t#x")).toEqual({ A: "a#b", B: "b", C: "c" });
  });

  it("scans an unclosed quote over many lines once", () => {
    expect(() => dotenv(`A="x${"\ny".repeat(N)}`)).toThrow('line 1: A has no closing "');
    const continued = `x${"\\\ny".repeat(N)}`;
    expect(dotenv(`A="${continued}"\nB=b`)).toEqual({ A: continued, B: "b" });
  });

  it("trims only the trailing newlines of a $(command) with many inner ones", () => {
    expect(dotenv("A=$(cat big)", () => `a${newlines}b\n\n`)).toEqual({ A: `a${newlines}b` });
  });

  it("rejects a !!float of spaces and a word, and hints on a long syntax-error line", () => {
    expect(yamlError(`v: !!float "${spaces}x"\n`).issues[0]?.message).toContain("invalid value for Float()");
    const issue = yamlError(`${spaces}b\na: 1\n`).issues[0];
    expect(issue).toMatchObject({ line: 1, message: "YAML syntax error: Implicit keys need to be on a single line" });
    expect(issue?.hint).toBeUndefined();
  });

  it("matches a -h/-r glob with many stars against a long name", () => {
    const name = "a".repeat(N);
    expect(matches(`${"*".repeat(N)}b`, name)).toBe(false);
    expect(matches(`${"*a".repeat(N / 4)}*`, name)).toBe(true);
    expect(matches(`${"*a?".repeat(N / 2)}`, name)).toBe(true);
    expect(matches(`${"*a?".repeat(N / 2)}?`, name)).toBe(false);
    expect(matches(`${"a*".repeat(N / 4)}b`, name)).toBe(false);
  });

  it("keeps shell glob semantics", () => {
    expect(matches("*", "")).toBe(true);
    expect(matches("a*a", "a")).toBe(false);
    expect(matches("a*b*c", "abc")).toBe(true);
    expect(matches("a*b*c", "acb")).toBe(false);
    expect(matches("web-?.*", "web-1.example")).toBe(true);
    expect(matches("??", "a")).toBe(false);
    expect(matches("a.b*", "axb")).toBe(false);
    expect(matches("*-db", "app-db-db")).toBe(true);
  });
});
