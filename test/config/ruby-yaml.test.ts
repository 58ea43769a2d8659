import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderErbWithLines } from "../../src/config/erb.js";
import { MAX_EXPANDED_VALUES, parseRubyYaml, RubyFloat, rubyToS } from "../../src/config/ruby-yaml.js";
import { ConfigError, type ConfigIssue } from "../../src/errors.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

const FILE = "config/deploy.yml";

function load(text: string): unknown {
  return parseRubyYaml(text, FILE).value;
}

/** The value of `v:` in a one-line document, to test how a scalar is typed. */
function scalar(source: string): unknown {
  return (load(`v: ${source}\n`) as { v: unknown }).v;
}

function loadIssue(text: string): ConfigIssue {
  try {
    load(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues[0]!;
  }
  throw new Error("expected the YAML to fail");
}

describe("Psych scalar typing of plain values", () => {
  it.each(["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"])("%s is true", (text) => {
    expect(scalar(text)).toBe(true);
  });

  it.each(["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"])("%s is false", (text) => {
    expect(scalar(text)).toBe(false);
  });

  it.each(["y", "Y", "n", "N", "yess", "offf", "enabled"])("%s stays a string (Psych does not read y/n as booleans)", (text) => {
    expect(scalar(text)).toBe(text);
  });

  it.each(["~", "null", "Null", "NULL", ""])("%j is nil", (text) => {
    expect(scalar(text)).toBeNull();
  });

  it("reads integers: underscores, commas, octal, hex, binary, signs", () => {
    expect(scalar("10_000_000")).toBe(10000000);
    expect(scalar("1,000")).toBe(1000);
    expect(scalar("0755")).toBe(493);
    expect(scalar("0x1F")).toBe(31);
    expect(scalar("0b101")).toBe(5);
    expect(scalar("-42")).toBe(-42);
    expect(scalar("+42")).toBe(42);
    expect(scalar("0")).toBe(0);
  });

  it("keeps integers beyond 2**53 exact as bigint", () => {
    expect(scalar("12345678901234567890")).toBe(12345678901234567890n);
  });

  it.each(["0o17", "08", "1__0", "1e3", "1.0e3", "1.2.3", "0x", "+.", "."])("%s stays a string", (text) => {
    expect(scalar(text)).toBe(text);
  });

  it("reads sexagesimal numbers the way Psych computes them (a:b is a*3600 + b*60)", () => {
    expect(scalar("25:25")).toBe(25 * 3600 + 25 * 60);
    expect(scalar("1:20:30")).toBe(1 * 3600 + 20 * 60 + 30);
    expect(scalar("8080:80")).toBe("8080:80");
    expect(scalar("8301:8301/udp")).toBe("8301:8301/udp");
    expect(rubyToS(scalar("1:30.5"))).toBe("5430.0");
  });

  it("reads floats as RubyFloat, so 1.0 stays distinguishable from 1", () => {
    expect(scalar("1.5")).toEqual(new RubyFloat(1.5));
    expect(scalar("1.0")).toBeInstanceOf(RubyFloat);
    expect(rubyToS(scalar("1.0"))).toBe("1.0");
    expect(rubyToS(scalar("3.10"))).toBe("3.1");
    expect(rubyToS(scalar("1.0e+3"))).toBe("1000.0");
    expect(rubyToS(scalar(".5"))).toBe("0.5");
    expect(rubyToS(scalar("1."))).toBe("1.0");
    expect(rubyToS(scalar("1_000.5"))).toBe("1000.5");
    expect(rubyToS(scalar(".inf"))).toBe("Infinity");
    expect(rubyToS(scalar("-.Inf"))).toBe("-Infinity");
    expect(rubyToS(scalar(".NaN"))).toBe("NaN");
  });

  it("reads dates as their Date#to_s and leaves impossible dates as text", () => {
    expect(scalar("2024-01-01")).toBe("2024-01-01");
    expect(scalar("2024-1-5")).toBe("2024-01-05");
    expect(scalar("2023-02-29")).toBe("2023-02-29");
    expect(scalar("2024-02-29")).toBe("2024-02-29");
  });

  it("reads timestamps as their Time#to_s", () => {
    expect(scalar("2001-12-14t21:59:43.10-05:00")).toBe("2001-12-14 21:59:43 -0500");
    expect(scalar("2001-12-14 21:59:43Z")).toBe("2001-12-14 21:59:43 UTC");
  });

  it("reads :symbols as their name", () => {
    expect(scalar(":web")).toBe("web");
  });

  it("keeps quoted and block scalars as strings", () => {
    const doc = load(`a: "10_000_000"\nb: 'on'\nc: |\n  yes\nd: "~"\ne: ''\n`);
    expect(doc).toEqual({ a: "10_000_000", b: "on", c: "yes\n", d: "~", e: "" });
  });

  it("honours !!str and !!float tags, and an explicit tag on a quoted scalar", () => {
    const doc = load(`a: !!str yes\nb: !!float 1\nc: !!int "3"\n`) as Record<string, unknown>;
    expect(doc.a).toBe("yes");
    expect(rubyToS(doc.b)).toBe("1.0");
    expect(doc.c).toBe(3);
  });

  it("rejects Ruby object tags", () => {
    const issue = loadIssue("a: !ruby/object:OpenStruct\n  x: 1\n");
    expect(issue).toMatchObject({ file: FILE, line: 1 });
    expect(issue.message).toContain("unsupported YAML tag !ruby/object:OpenStruct");
  });
});

describe("mapping keys", () => {
  it("types keys like values, then turns them into strings with Ruby's to_s", () => {
    const doc = load(`yes: a\n1: b\n1.0: c\n~: d\non: e\ny: f\n"yes": g\n`);
    expect(doc).toEqual({ true: "e", "1": "b", "1.0": "c", "": "d", y: "f", yes: "g" });
  });

  it("keeps __proto__ as an ordinary key", () => {
    const doc = load("__proto__: x\n") as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
  });
});

describe("anchors, aliases and merge keys", () => {
  it("resolves aliases to the anchored value", () => {
    expect(load("a: &x [1, 2]\nb: *x\n")).toEqual({ a: [1, 2], b: [1, 2] });
  });

  it("merges an aliased mapping with <<, keys after it overriding", () => {
    const doc = load("base: &b\n  image: app\n  host: h1\nweb:\n  <<: *b\n  host: h2\n");
    expect(doc).toEqual({ base: { image: "app", host: "h1" }, web: { image: "app", host: "h2" } });
  });

  it("lets << overwrite keys written before it, as Psych's merge! does", () => {
    expect(load("base: &b\n  host: h1\nweb:\n  host: h0\n  <<: *b\n")).toMatchObject({ web: { host: "h1" } });
  });

  it("merges a list of mappings, earlier ones winning", () => {
    const doc = load("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n");
    expect((doc as Record<string, unknown>).c).toEqual({ x: 1, y: 1, z: 2, w: 0 });
  });

  it("merges an inline flow mapping", () => {
    expect(load("a:\n  <<: {x: 1}\n  y: 2\n")).toEqual({ a: { x: 1, y: 2 } });
  });

  it("keeps << as a plain key when the value is not a mapping, or when tagged !!str", () => {
    expect(load("s: &s text\na:\n  <<: *s\n")).toEqual({ s: "text", a: { "<<": "text" } });
    expect(load("a:\n  !!str <<: {x: 1}\n")).toEqual({ a: { "<<": { x: 1 } } });
  });

  it("fails on an alias to an unknown anchor, naming the line and suggesting quotes", () => {
    const issue = loadIssue("service: app\nhosts:\n  - *web\n");
    expect(issue).toMatchObject({ file: FILE, line: 3 });
    expect(issue.message).toContain("unknown anchor: web");
    expect(issue.hint).toContain('"*web"');
  });
});

describe("duplicate keys", () => {
  it("takes the last value, keeps the first position and warns with path and line", () => {
    const result = parseRubyYaml("builder:\n  arch: arm64\nservice: app\nbuilder:\n  arch: amd64\n", FILE);
    expect(result.value).toEqual({ builder: { arch: "amd64" }, service: "app" });
    expect(Object.keys(result.value as object)).toEqual(["builder", "service"]);
    expect(result.warnings).toEqual([
      { file: FILE, path: "builder", line: 4, message: 'duplicate key "builder": the later value wins (as Ruby reads it)' },
    ]);
  });

  it("names nested duplicate keys by their full path", () => {
    const result = parseRubyYaml("servers:\n  web:\n    hosts: [a]\n    hosts: [b]\n", FILE);
    expect(result.warnings[0]).toMatchObject({ path: "servers.web.hosts", line: 4 });
  });

  it("does not warn when a merge key supplies a key that is then set explicitly", () => {
    expect(parseRubyYaml("a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n", FILE).warnings).toEqual([]);
  });
});

describe("documents", () => {
  it("reads flow collections", () => {
    expect(load("servers: { web: { hosts: [a, b] } }\n")).toEqual({ servers: { web: { hosts: ["a", "b"] } } });
  });

  it("returns false for a file without a document, nil for an empty one, like Psych", () => {
    expect(load("")).toBe(false);
    expect(load("# only a comment\n")).toBe(false);
    expect(load("---\n")).toBeNull();
  });

  it("reads only the first of several documents", () => {
    expect(load("a: 1\n---\nb: 2\n")).toEqual({ a: 1 });
  });
});

describe("syntax errors", () => {
  it("reports tabs used for indentation", () => {
    const issue = loadIssue("env:\n\tclear: {}\n");
    expect(issue).toMatchObject({ file: FILE, path: "", line: 2 });
    expect(issue.message).toMatch(/^YAML syntax error: /);
    expect(issue.hint).toContain("tabs");
  });

  it.each(["@", "`", "%"])("hints to quote a value starting with %s", (ch) => {
    const issue = loadIssue(`service: app\nimage: ${ch}x\n`);
    expect(issue.line).toBe(2);
    expect(issue.hint).toContain(`starting with ${ch} must be quoted`);
  });

  it("hints to quote a value starting with * that is not a lone alias", () => {
    expect(loadIssue("a: *b c\n").hint).toContain("starting with * must be quoted");
  });

  it("hints to quote a value that contains ': '", () => {
    const issue = loadIssue("service: app\ncmd: bin/run: now\n");
    expect(issue.line).toBe(2);
    expect(issue.hint).toContain('containing ": " must be quoted');
  });

  it("maps error lines back through the ERB source lines", () => {
    try {
      parseRubyYaml("a: 1\nb: @x\n", FILE, { sourceLine: (line) => line + 10 });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues[0]?.line).toBe(12);
    }
  });
});

describe("lineOf", () => {
  const text = [
    "service: app", // 1
    "base: &base", // 2
    "  image: app", // 3
    "  port: 80", // 4
    "servers:", // 5
    "  web:", // 6
    "    hosts:", // 7
    "      - a", // 8
    "      - b", // 9
    "accessories:", // 10
    "  db:", // 11
    "    <<: *base", // 12
    "    port: 5432", // 13
  ].join("\n");
  const result = parseRubyYaml(text, FILE);

  it("finds keys and sequence items", () => {
    expect(result.lineOf(["service"])).toBe(1);
    expect(result.lineOf(["servers", "web", "hosts"])).toBe(7);
    expect(result.lineOf(["servers", "web", "hosts", 1])).toBe(9);
  });

  it("follows merge keys to the anchored mapping, and prefers the explicit key", () => {
    expect(result.lineOf(["accessories", "db", "image"])).toBe(3);
    expect(result.lineOf(["accessories", "db", "port"])).toBe(13);
  });

  it("returns undefined for paths that do not exist", () => {
    expect(result.lineOf(["nope"])).toBeUndefined();
    expect(result.lineOf(["servers", "web", "hosts", 5])).toBeUndefined();
    expect(result.lineOf(["service", "x"])).toBeUndefined();
  });

  it("maps lines through sourceLine", () => {
    expect(parseRubyYaml("a:\n  b: 1\n", FILE, { sourceLine: (line) => line * 2 }).lineOf(["a", "b"])).toBe(4);
  });
});

describe("rubyToS", () => {
  it.each<[unknown, string]>([
    ["text", "text"],
    [42, "42"],
    [-7, "-7"],
    [12345678901234567890n, "12345678901234567890"],
    [new RubyFloat(1), "1.0"],
    [new RubyFloat(1.5), "1.5"],
    [new RubyFloat(1000), "1000.0"],
    [new RubyFloat(1e15), "1000000000000000.0"],
    [new RubyFloat(1e16), "1.0e+16"],
    [new RubyFloat(1.5e-5), "1.5e-05"],
    [new RubyFloat(0.0001), "0.0001"],
    [new RubyFloat(-0), "-0.0"],
    [new RubyFloat(Infinity), "Infinity"],
    [new RubyFloat(NaN), "NaN"],
    [0.25, "0.25"],
    [true, "true"],
    [false, "false"],
    [null, ""],
    [["a", 1, null, new RubyFloat(2)], '["a", 1, nil, 2.0]'],
    [{ a: 1, b: { "c d": "e\"f" } }, '{"a"=>1, "b"=>{"c d"=>"e\\"f"}}'],
  ])("%o -> %s", (value, expected) => {
    expect(rubyToS(value)).toBe(expected);
  });
});

const CORPUS = "/work/shared/corpus/real-configs";

function corpusCases(): string[] {
  return readdirSync(CORPUS).filter((name) => !name.startsWith("_") && statSync(path.join(CORPUS, name)).isDirectory());
}

function ymlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return ymlFiles(full);
    return name.endsWith(".yml") ? [full] : [];
  });
}

function caseEnv(caseDir: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { PATH: `${CORPUS}/_stubs/bin:${process.env.PATH ?? ""}` };
  const envFile = path.join(caseDir, "ENV");
  if (existsSync(envFile)) {
    for (const line of readFileSync(envFile, "utf8").split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return env;
}

function renderAndParse(caseName: string, relative: string) {
  const caseDir = path.join(CORPUS, caseName);
  const file = path.join(caseDir, relative);
  const rendered = renderErbWithLines(readFileSync(file, "utf8"), { file, env: caseEnv(caseDir), cwd: caseDir });
  return parseRubyYaml(rendered.text, file, { sourceLine: rendered.sourceLine });
}

describe.skipIf(!existsSync(CORPUS))("real deploy files (ERB, then YAML)", () => {
  const files = existsSync(CORPUS)
    ? corpusCases().flatMap((name) => {
        const caseDir = path.join(CORPUS, name);
        return ymlFiles(path.join(caseDir, "config")).map((file) => [name, path.relative(caseDir, file)]);
      })
    : [];

  it("covers the whole corpus", () => {
    expect(files.length).toBeGreaterThan(80);
  });

  it.each(files.filter(([name]) => name !== "csa-admin-org__csa-admin"))("%s/%s renders and parses", (name, relative) => {
    const { value, warnings } = renderAndParse(name!, relative!);
    expect(value).toBeTypeOf("object");
    if (name !== "gogrow-dev__rails_api") expect(warnings).toEqual([]);
  });

  it("rejects csa-admin's YAML.load_file loop as unsupported ERB, naming the file and line", () => {
    try {
      renderAndParse("csa-admin-org__csa-admin", "config/deploy.yml");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const issue = (error as ConfigError).issues[0]!;
      expect(issue.file).toBe(path.join(CORPUS, "csa-admin-org__csa-admin/config/deploy.yml"));
      expect(issue.line).toBe(35);
      expect(issue.message).toContain("unsupported Ruby in ERB: the constant YAML");
    }
  });

  it("warns about gogrow-dev's duplicate builder key", () => {
    const { warnings } = renderAndParse("gogrow-dev__rails_api", "config/deploy.yml");
    expect(warnings).toEqual([
      expect.objectContaining({ path: "builder", line: 95, message: expect.stringContaining('duplicate key "builder"') }),
    ]);
  });

  it("reads gogrow-dev's ECR password from the aws stub", () => {
    const config = renderAndParse("gogrow-dev__rails_api", "config/deploy.yml").value as { registry: Record<string, unknown> };
    expect(config.registry).toMatchObject({ server: "000000000000.dkr.ecr.us-east-1.amazonaws.com", password: "fake-aws-ecr-login-password" });
  });

  it("reads PlaceCal's max_request_body: 10_000_000 as the integer 10000000", () => {
    const config = renderAndParse("geeksforsocialchange__PlaceCal", "config/deploy.yml").value as {
      proxy: { buffering: Record<string, unknown> };
    };
    expect(config.proxy.buffering.max_request_body).toBe(10000000);
  });

  it("loads PlaceCal's overlay host through Dotenv.load in ERB", () => {
    const config = renderAndParse("geeksforsocialchange__PlaceCal", "config/deploy.production.yml").value as {
      servers: { web: { hosts: string[] } };
    };
    expect(config.servers.web.hosts).toEqual(["192.0.2.80"]);
  });

  it("renders bikeindex's review accessories block with the shared-db service", () => {
    const result = renderAndParse("bikeindex__bike_index", "config/deploy.review.yml");
    const config = result.value as Record<string, any>;
    expect(config.service).toBe("bike-index-pr-123");
    expect(config.accessories.db).toMatchObject({ service: "shared-db", host: "192.0.2.50" });
    expect(config.env.clear).toMatchObject({ REVIEW_APP_PR_TITLE: "Fake PR title", REDIS_URL: "redis://shared-redis:6379/7" });
    expect(result.lineOf(["accessories", "db", "service"])).toBe(207);
  });

  it("builds ursm/pong's three consul accessories from one anchored body", () => {
    const config = renderAndParse("ursm__pong", "config/deploy.yml").value as { accessories: Record<string, any> };
    const consuls = ["consul1", "consul2", "consul3"].map((name) => config.accessories[name]);
    expect(consuls.map((c) => c.host)).toEqual(["bastion", "app1", "app2"]);
    for (const consul of consuls) {
      expect(consul).toMatchObject({ image: "hashicorp/consul:1.21.0", volumes: ["consul:/consul"] });
      expect(consul.options.publish).toEqual(["8300-8301:8300-8301", "8301:8301/udp", "8500:8500"]);
    }
    expect(consuls[1].cmd).toContain("-node=app1");
  });

  it("reads fizzy's RUBY_VERSION build arg from .ruby-version", () => {
    const config = renderAndParse("basecamp__fizzy", "config/deploy.yml").value as { builder: { args: Record<string, unknown> } };
    expect(config.builder.args.RUBY_VERSION).toBe(readFileSync(path.join(CORPUS, "basecamp__fizzy/.ruby-version"), "utf8").trim());
  });
});

describe("alias expansion limit", () => {
  /** `levels` anchors, each a list of `width` aliases to the previous one. */
  function bomb(levels: number, width = 10): string {
    const lines = [`a0: &a0 [${Array(width).fill("x").join(", ")}]`];
    for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(width).fill(`*a${i - 1}`).join(", ")}]`);
    return `service: app\nx-bomb:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
  }

  it.each([10, 8, 5])("refuses %i levels of ten aliases, naming the limit", (levels) => {
    expect(() => parseRubyYaml(bomb(levels), "config/deploy.yml")).toThrow(
      `config/deploy.yml: aliases expand the document beyond ${MAX_EXPANDED_VALUES} values (the limit)`,
    );
  });

  it("refuses a bomb built from merge keys", () => {
    const lines = ["m0: &m0 { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10 }"];
    for (let i = 1; i <= 8; i++) lines.push(`m${i}: &m${i} { ${Array.from({ length: 10 }, (_, k) => `k${k}: *m${i - 1}`).join(", ")} }`);
    expect(() => parseRubyYaml(`x:\n${lines.map((l) => `  ${l}`).join("\n")}\n`, "f")).toThrow(/beyond 100000 values/);
  });

  it("refuses a recursive alias", () => {
    expect(() => parseRubyYaml("a: &a [1, *a]\n", "f")).toThrow("f: an alias refers to a value that contains it (a recursive alias)");
  });

  it("accepts ordinary reuse of anchors, up to the limit", () => {
    expect(() => parseRubyYaml(bomb(3), "f")).not.toThrow();
    const env = `env: &env { ${Array.from({ length: 50 }, (_, i) => `K${i}: v`).join(", ")} }`;
    const roles = Array.from({ length: 20 }, (_, i) => `  r${i}: { hosts: [h${i}], env: *env }`).join("\n");
    expect(() => parseRubyYaml(`${env}\nservers:\n${roles}\n`, "f")).not.toThrow();
  });

  it("refuses a bomb through the loader before the schema walk", () => {
    expect(() => configFrom(`${MRSK_MINIMAL}${bomb(10).replace("service: app\n", "")}`, { env: MRSK_SECRETS })).toThrow(/beyond 100000 values/);
  });
});
