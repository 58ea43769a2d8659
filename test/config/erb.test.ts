import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderErb, renderErbWithLines, type ErbContext } from "../../src/config/erb.js";
import { ConfigError, type ConfigIssue } from "../../src/errors.js";

const FILE = "config/deploy.yml";

function context(env: Record<string, string | undefined> = {}, extra: Partial<ErbContext> = {}): ErbContext {
  return {
    file: FILE,
    env,
    cwd: "/nonexistent-erb-test-dir",
    exec: (command) => {
      throw new Error(`unexpected shell-out: ${command}`);
    },
    ...extra,
  };
}

function render(template: string, env: Record<string, string | undefined> = {}, extra: Partial<ErbContext> = {}): string {
  return renderErb(template, context(env, extra));
}

function renderIssue(template: string, env: Record<string, string | undefined> = {}, extra: Partial<ErbContext> = {}): ConfigIssue {
  try {
    render(template, env, extra);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(1);
    return issues[0]!;
  }
  throw new Error("expected the template to fail");
}

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "mrsk-erb-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

describe("ERB tags", () => {
  it("outputs the to_s of <%= %> and leaves text around it alone", () => {
    expect(render("host: <%= 'a' + 'b' %>!\n")).toBe("host: ab!\n");
  });

  it("prints nil as an empty string, numbers and booleans as Ruby does", () => {
    expect(render("<%= nil %>|<%= 42 %>|<%= 1.5 %>|<%= 2.0 %>|<%= true %>|<%= false %>")).toBe("|42|1.5|2.0|true|false");
  });

  it("prints arrays, hashes and symbols like Ruby 3.3 inspect/to_s", () => {
    expect(render(`<%= ["a", 1, nil] %>`)).toBe(`["a", 1, nil]`);
    expect(render(`<%= {a: 1, "b" => [true]} %>`)).toBe(`{:a=>1, "b"=>[true]}`);
    expect(render("<%= :web %>|<%= true ? :a : :b %>|<%= nil ? \"x\" :\"y\" %>")).toBe("web|a|y");
  });

  it("prints ENV and regexps like Ruby's to_s, and an empty <%= %> as nothing", () => {
    expect(render("<%= ENV %>|<%= /a.b/i %>|<%= %>|<%= 'x' # a comment %>")).toBe("ENV|(?i-mx:a.b)||x");
  });

  it("runs <% %> code without output and keeps the newline after %>", () => {
    expect(render("<% x = 1 %>\nnext\n")).toBe("\nnext\n");
  });

  it("drops <%# %> comments, also over several lines, but keeps the newline after them", () => {
    expect(render("a\n<%# a comment\n   over two lines %>\nb\n")).toBe("a\n\nb\n");
  });

  it("turns <%% into a literal <% and %%> inside a tag into a literal %>", () => {
    expect(render("<%% raw %>")).toBe("<% raw %>");
    expect(render(`<%= "50%%>" %>`)).toBe("50%>");
  });

  it("swallows the newline after -%>", () => {
    expect(render("<% x = 1 -%>\nvalue: <%= x -%>\nend\n")).toBe("value: 1end\n");
    expect(render("a: 1\n<% x = 1 -%>")).toBe("a: 1\n");
  });

  it("strips the indentation before <%- when only whitespace precedes it on the line", () => {
    expect(render("list:\n    <%- x = 1 -%>\n  - <%= x %>\n")).toBe("list:\n  - 1\n");
    expect(render("a: b <%- x = 1 %>c")).toBe("a: b c");
  });

  it("lets tags span several lines", () => {
    expect(render("<%\n  a = 'x'\n  b = 'y'\n%><%= a +\n b %>")).toBe("xy");
  });

  it("rejects an unterminated tag, naming its line", () => {
    const issue = renderIssue("a: 1\nb: <%= ENV['X']\n");
    expect(issue).toMatchObject({ file: FILE, line: 2 });
    expect(issue.message).toContain("unterminated ERB tag");
  });
});

describe("Ruby literals and variables", () => {
  it("reads single-quoted strings with only \\\\ and \\' as escapes", () => {
    expect(render(String.raw`<%= 'it\'s a \n \\ test' %>`)).toBe(String.raw`it's a \n \ test`);
  });

  it("reads double-quoted strings with escapes and #{} interpolation, also with nested quotes", () => {
    expect(render(String.raw`<%= "tab\there\nq\"#{"in" + "ner"}\u00e9\x41" %>`)).toBe('tab\there\nq"innerÉA'.replace("É", "é"));
    expect(render(`<% slug = "pr-1" %><%= "bike_index_#{slug.tr("-", "_")}" %>`)).toBe("bike_index_pr_1");
  });

  it("reads %q, %Q and %w literals", () => {
    expect(render(`<%= %q(a "b") %>|<%= %Q{#{1 + 1}} %>|<%= %w[a b].join(",") %>`)).toBe(`a "b"|2|a,b`);
  });

  it("reads integers with underscores and floats", () => {
    expect(render("<%= 10_000 + 1 %>|<%= 1.5 + 1 %>|<%= 0x10 %>|<%= 1e3 %>")).toBe("10001|2.5|16|1000.0");
  });

  it("assigns local variables, including ||=, &&= and +=", () => {
    expect(render(`<% a = "x"; a += "y"; b ||= "set"; b ||= "kept"; c = nil; c &&= 1 %><%= a %> <%= b %> <%= c.nil? %>`)).toBe(
      "xy set true",
    );
  });

  it("reads a variable assigned in a branch that did not run as nil, like Ruby", () => {
    expect(render(`<% if false %><% late = "x" %><% end %>[<%= late %>]`)).toBe("[]");
  });

  it("indexes strings, arrays and hashes with []", () => {
    expect(render(`<%= "hello"[1] %> <%= "hello"[-1] %> <%= [1, 2, 3][0] %> <%= {a: 1}[:a] %> <%= [1][5].nil? %>`)).toBe(
      "e o 1 1 true",
    );
  });
});

describe("ENV", () => {
  it("reads ENV['X'] and ENV[\"X\"], nil when unset", () => {
    expect(render(`<%= ENV['A'] %>|<%= ENV["A"] %>|<%= ENV["MISSING"] %>`, { A: "1" })).toBe("1|1|");
  });

  it("ENV.fetch returns the value, or the default when unset", () => {
    expect(render(`<%= ENV.fetch("A") %> <%= ENV.fetch("B", "dflt") %> <%= ENV.fetch "A" %>`, { A: "a" })).toBe("a dflt a");
  });

  it("ENV.fetch of an unset variable raises KeyError naming the variable and the line", () => {
    const issue = renderIssue(`service: app\nhost: <%= ENV.fetch("SERVER_HOST") %>\n`);
    expect(issue).toMatchObject({ file: FILE, path: "", line: 2 });
    expect(issue.message).toContain(`key not found: "SERVER_HOST" (KeyError)`);
    expect(issue.message).toContain(`host: <%= ENV.fetch("SERVER_HOST") %>`);
    expect(issue.hint).toContain("SERVER_HOST is not set");
  });

  it("answers ENV.key? and lets ENV['X'] = value set variables", () => {
    const env: Record<string, string | undefined> = { A: "1" };
    expect(render(`<%= ENV.key?("A") %> <%= ENV.key?("B") %><% ENV["B"] = "2" %> <%= ENV["B"] %>`, env)).toBe("true false 2");
    expect(env.B).toBe("2");
  });

  it("evaluates || chains with RUBY_ENGINE constants (as TelosLabs does in a YAML comment)", () => {
    const template = `#   RUBY_VERSION: <%= ENV["RBENV_VERSION"] || ENV["rvm_ruby_string"] || "#{RUBY_ENGINE}-#{RUBY_ENGINE_VERSION}" %>`;
    expect(render(template)).toBe("#   RUBY_VERSION: ruby-3.3.0");
    expect(render(template, { RBENV_VERSION: "3.2.2" })).toBe("#   RUBY_VERSION: 3.2.2");
  });
});

describe("files and shell-outs", () => {
  it("File.read reads relative to cwd and File.exist? checks there", () => {
    const cwd = tempDir({ ".ruby-version": "3.3.1\n" });
    expect(render(`<%= File.read('.ruby-version').strip %> <%= File.exist?(".ruby-version") %> <%= File.exist?("nope") %>`, {}, { cwd })).toBe(
      "3.3.1 true false",
    );
  });

  it("File.read of a missing file fails with Errno::ENOENT naming the path and line", () => {
    const cwd = tempDir({});
    const issue = renderIssue(`a: 1\nv: <%= File.read(".node-version") %>`, {}, { cwd });
    expect(issue).toMatchObject({ file: FILE, line: 2 });
    expect(issue.message).toContain("No such file or directory @ rb_sysopen - .node-version (Errno::ENOENT)");
  });

  it("uses the readFile override when given", () => {
    const seen: string[] = [];
    const readFile = (p: string): string => (seen.push(p), "v1");
    expect(render(`<%= File.read("x.txt") %>`, {}, { cwd: "/app", readFile })).toBe("v1");
    expect(seen).toEqual(["/app/x.txt"]);
  });

  it("runs backticks, %x() and %x{} through exec, with interpolation", () => {
    const commands: string[] = [];
    const exec = (command: string): string => (commands.push(command), `out:${command}\n`);
    const out = render("<% t = 'x' %><%= `echo #{t}`.strip %>|<%= %x(aws ecr get-login-password) %>|<%= %x{a (b)} %>", {}, { exec });
    expect(out).toBe("out:echo x|out:aws ecr get-login-password\n|out:a (b)\n");
    expect(commands).toEqual(["echo x", "aws ecr get-login-password", "a (b)"]);
  });

  it("by default runs commands with /bin/sh in cwd with the given env, returning stdout even on failure", () => {
    const cwd = tempDir({});
    const env = { PATH: process.env.PATH, GREETING: "hi" };
    const out = renderErb("<%= `echo $GREETING; pwd; exit 3` %>", { file: FILE, env, cwd });
    expect(out).toBe(`hi\n${cwd}\n`);
  });
});

describe("string and collection methods", () => {
  const cases: Array<[string, string]> = [
    [`"  a b \\n".strip`, "a b"],
    [`"  a ".lstrip + "|"`, "a |"],
    [`"x\\n".chomp + "|" + "x\\r\\n".chomp + "|" + "abc".chomp("c")`, "x|x|ab"],
    [`"12abc".to_i + 1`, "13"],
    [`"1.5x".to_f`, "1.5"],
    [`"".empty?`, "true"],
    [`nil.to_s.empty?`, "true"],
    [`"Ab".upcase + "Ab".downcase`, "ABab"],
    [`"a-b-c".tr("-", "_")`, "a_b_c"],
    [`"hello".tr("a-y", "b-z")`, "ifmmp"],
    [`"a-b-c".gsub("-", "+")`, "a+b+c"],
    [`"a-b-c".sub("-", "+")`, "a+b-c"],
    [`"v1.2.3".gsub(/\\d/, "N")`, "vN.N.N"],
    [`"key=val".sub(/(\\w+)=(\\w+)/, "\\\\2=\\\\1")`, "val=key"],
    [`"a,b,,".split(",").length`, "2"],
    [`" a  b ".split.join("|")`, "a|b"],
    [`"a b".split(" ").last`, "b"],
    [`["a", ["b", nil]].join(",")`, "a,b,"],
    [`"abc".include?("b")`, "true"],
    [`[1, 2].include?(2)`, "true"],
    [`"abc".start_with?("x", "a")`, "true"],
    [`"abc".end_with?("bc")`, "true"],
    [`"Fake \\"PR\\"".to_json`, `"Fake \\"PR\\""`],
    [`[1, 2.0, nil, "x"].to_json`, `[1,2.0,null,"x"]`],
    [`"héllo".length`, "5"],
    [`[3, 4].first + [3, 4].last`, "7"],
    [`[3, 4, 5].first(2)`, "[3, 4]"],
    [`"x".inspect`, `"x"`],
    [`42.to_s + 1.to_s`, "421"],
    [`7 / 2`, "3"],
    [`-7 / 2`, "-4"],
    [`7 % 3`, "1"],
    [`2 * 3 + 1`, "7"],
  ];

  it.each(cases)("%s => %s", (expr, expected) => {
    expect(render(`<%= ${expr} %>`)).toBe(expected);
  });

  it("continues a method chain on the next line when it starts with a dot", () => {
    expect(render(`<%= " a "\n  .strip\n  .upcase %>`)).toBe("A");
  });

  it("returns nil from &. on nil", () => {
    expect(render(`[<%= ENV["NOPE"]&.strip %>]`)).toBe("[]");
  });
});

describe("operators and control flow", () => {
  it("implements || && ! and or not with Ruby truthiness (only nil and false are false)", () => {
    expect(render(`<%= nil || "d" %> <%= "" || "d" %> <%= 0 && "t" %> <%= !nil %> <%= (false or 1) %> <%= (not true) %>`)).toBe(
      "d  t true 1 false",
    );
  });

  it("compares with == and != (1 == 1.0 like Ruby)", () => {
    expect(render(`<%= "a" == "a" %> <%= "a" != "b" %> <%= 1 == 1.0 %> <%= [1] == [1] %> <%= nil == false %>`)).toBe(
      "true true true true false",
    );
  });

  it("evaluates the ternary, right-associative and below ||", () => {
    expect(render(`<% pr = "12" %><%= pr ? "pr-#{pr}" : "sandbox" %> <%= nil ? 1 : false ? 2 : 3 %>`)).toBe("pr-12 3");
  });

  it("applies statement modifiers if and unless", () => {
    expect(render(`<% pr = ENV["PR"].to_s %><% pr = nil if pr.empty? %><%= pr.nil? %><%= "x" unless true %>`)).toBe("true");
  });

  it("runs if/elsif/else/end inside one tag", () => {
    const template = `<% if ENV["A"] then v = "a" elsif ENV["B"]; v = "b" else v = "c" end %><%= v %>`;
    expect(render(template, { A: "1" })).toBe("a");
    expect(render(template, { B: "1" })).toBe("b");
    expect(render(template)).toBe("c");
  });

  it("runs if/elsif/else and unless blocks that span template text", () => {
    const template = "<% if ENV['A'] %>\na\n<% elsif ENV['B'] %>\nb\n<% else %>\nc\n<% end %>\n";
    expect(render(template, { A: "1" })).toBe("\na\n\n");
    expect(render(template, { B: "1" })).toBe("\nb\n\n");
    expect(render(template)).toBe("\nc\n\n");
    expect(render("<% unless ENV['A'] -%>\nno\n<% else -%>\nyes\n<% end -%>\n")).toBe("no\n");
  });

  it("nests blocks and separates statements with ;", () => {
    expect(render(`<% a = 1; b = 2 %><% if a == 1 %><% if b == 2 %>both<% end %><% end %>`)).toBe("both");
  });
});

describe("begin/rescue and require", () => {
  it("treats require of json, dotenv and yaml as a no-op", () => {
    expect(render(`<% require "json" %><% require 'dotenv' %><% require("yaml") %>ok`)).toBe("ok");
  });

  it("raises LoadError for other libraries, which rescue LoadError catches", () => {
    expect(render(`<% begin; require "nokogiri"; rescue LoadError; x = "fallback"; end %><%= x %>`)).toBe("fallback");
    const issue = renderIssue(`<% require "nokogiri" %>`);
    expect(issue.message).toContain("cannot load such file -- nokogiri (LoadError)");
  });

  it("rescues only the named classes (and their subclasses)", () => {
    expect(render(`<% begin; v = ENV.fetch("X"); rescue IndexError => e; v = e.inspect; end %><%= v %>`)).toBe(
      `#<KeyError: key not found: "X">`,
    );
    const issue = renderIssue(`<% begin\n ENV.fetch("X")\nrescue LoadError\nend %>`);
    expect(issue).toMatchObject({ line: 2 });
    expect(issue.message).toContain("(KeyError)");
  });

  it("rescues StandardError with a bare rescue, runs else and ensure", () => {
    expect(render(`<% begin; nil.strip; rescue; a = "r"; ensure; b = "e"; end %><%= a %><%= b %>`)).toBe("re");
    expect(render(`<% begin; a = "ok"; rescue; a = "r"; else; a += "+else"; end %><%= a %>`)).toBe("ok+else");
  });

  it("supports the rescue modifier", () => {
    expect(render(`<%= ENV.fetch("NOPE") rescue "default" %>`)).toBe("default");
    expect(render(`<% x = "old"; x = ENV.fetch("NOPE") rescue "new" %><%= x %>`)).toBe("new");
  });

  it("lets raise stop rendering with a message", () => {
    const issue = renderIssue(`a\n<% raise "set DEPLOY_HOST" unless ENV["DEPLOY_HOST"] %>`);
    expect(issue).toMatchObject({ line: 2 });
    expect(issue.message).toContain("set DEPLOY_HOST (RuntimeError)");
  });

  it("raises an exception class with a message, which rescue of that class or an ancestor catches", () => {
    const issue = renderIssue(`<% if false %>\n<% else raise ArgumentError, "Session token missing" end %>`);
    expect(issue).toMatchObject({ line: 2 });
    expect(issue.message).toContain("Session token missing (ArgumentError)");
    expect(renderIssue(`<% raise(KeyError) %>`).message).toContain("KeyError (KeyError)");
    expect(render(`<% begin; raise ArgumentError, "x"; rescue StandardError => e; %>caught<% end %>`)).toBe("caught");
    expect(renderIssue(`<% raise Rails, "x" %>`).message).toContain("unsupported Ruby in ERB: the constant Rails");
  });
});

describe("Dotenv.load", () => {
  it("loads KEY=VALUE files into ENV without overriding variables that are set", () => {
    const cwd = tempDir({
      "secrets.prod": [
        "# comment",
        "HOST=192.0.2.1",
        "export USER_NAME='deploy' # trailing comment",
        'GREETING="hello\\nworld"',
        "URL=https://${HOST}/x",
        "KEEP=from-file",
      ].join("\n"),
    });
    const env: Record<string, string | undefined> = { KEEP: "from-env" };
    const template = `<% begin; require "dotenv"; Dotenv.load("secrets.prod"); rescue LoadError; end %><%= ENV["HOST"] %>`;
    expect(render(template, env, { cwd })).toBe("192.0.2.1");
    expect(env).toMatchObject({
      HOST: "192.0.2.1",
      USER_NAME: "deploy",
      GREETING: "hello\nworld",
      URL: "https://192.0.2.1/x",
      KEEP: "from-env",
    });
  });

  it("ignores missing files and loads several in order (the first value wins)", () => {
    const cwd = tempDir({ a: "X=1\n", b: "X=2\nY=2\n" });
    const env: Record<string, string | undefined> = {};
    render(`<%\n  require "dotenv"\n  Dotenv.load("missing", "a", "b")\n%>`, env, { cwd });
    expect(env).toEqual({ X: "1", Y: "2" });
  });

  it("runs $(command) substitutions through exec", () => {
    const cwd = tempDir({ s: "TOKEN=$(fetch-token)\n" });
    const env: Record<string, string | undefined> = {};
    render(`<% Dotenv.load("s") %>`, env, { cwd, exec: () => "tok\n" });
    expect(env.TOKEN).toBe("tok");
  });
});

describe("code outside the subset fails with file, line and the offending snippet", () => {
  const unsupported: Array<[string, string]> = [
    [`tenant = YAML.load_file("config/tenant.yml")`, "the constant YAML"],
    [`[1, 2].each do |x| end`, "the method `each`"],
    [`["a"].map { |x| x }`, "the method `map`"],
    [`x = "a"; x.strip { |y| y }`, "blocks"],
    [`ENV.fetch("A") do "x" end`, "blocks (do … end)"],
    [`eval("1 + 1")`, "`eval`"],
    [`class Foo; end`, "`class`"],
    [`def helper; end`, "`def`"],
    [`@host = "x"`, "instance and class variables"],
    [`$host = "x"`, "global variables"],
    [`hosts`, "`hosts` (not a local variable assigned earlier, nor a supported function)"],
    [`puts "x"`, "`puts`"],
    [`case 1 when 1 then 2 end`, "`case`"],
    [`while false; end`, "`while`"],
    [`File.open("x")`, "File.open"],
    [`ENV.each_pair`, "ENV.each_pair"],
    [`Dir.pwd`, "the constant Dir"],
    [`"a" =~ /a/`, "the =~ operator"],
    [`(1..3)`, "the .. operator"],
    [`x = <<~EOS`, "heredocs"],
    [`a = [1] << 2`, "the << operator"],
    [`%i[a b]`, "%i literals"],
    [`f = ->(x) { x }`, "lambdas"],
    [`Errno::ENOENT`, "the constant Errno"],
    [`"a".freeze`, "the method `freeze`"],
  ];

  it.each(unsupported)("%s", (code, what) => {
    const issue = renderIssue(`service: app\n# line 2\nvalue: <% ${code} %>\n`);
    expect(issue).toMatchObject({ file: FILE, path: "", line: 3 });
    expect(issue.message).toContain(`unsupported Ruby in ERB: ${what}`);
    expect(issue.message).toContain(`in \`value: <% ${code} %>\``);
    expect(issue.hint).toContain("small Ruby subset");
  });

  it("reports the line inside a multi-line tag where the unsupported code is", () => {
    const issue = renderIssue(`a: 1\n<%\n  x = 1\n  y = x.each_char\n%>`);
    expect(issue.line).toBe(4);
    expect(issue.message).toContain("y = x.each_char");
  });

  it("rejects unsupported code even in a branch that would not run", () => {
    const issue = renderIssue(`<% if false %>\n<%= YAML.dump(1) %>\n<% end %>`);
    expect(issue.line).toBe(2);
  });

  it("reports Ruby syntax errors with their line", () => {
    const issue = renderIssue(`a: 1\nb: <%= (1 + %>`);
    expect(issue).toMatchObject({ line: 2 });
    expect(issue.message).toContain("Ruby syntax error in ERB");
    expect(renderIssue(`<% if true %>open`).message).toContain("expected `end`");
  });
});

describe("Ruby runtime errors", () => {
  it("calling a method on nil fails like Ruby, with a hint naming the unset variable", () => {
    const issue = renderIssue(`servers:\n  - "<%= ENV['SERVER_IP'].strip %>"\n`);
    expect(issue).toMatchObject({ file: FILE, path: "", line: 2 });
    expect(issue.message).toContain("undefined method `strip' for nil (NoMethodError)");
    expect(issue.hint).toBe("ENV['SERVER_IP'] is not set");
  });

  it("a method the receiver lacks fails with Ruby's wording", () => {
    expect(renderIssue(`<%= 1.strip %>`).message).toContain("undefined method `strip' for an instance of Integer");
    expect(renderIssue(`<%= "a" + 1 %>`).message).toContain("no implicit conversion of Integer into String (TypeError)");
    expect(renderIssue(`<%= 1 + "a" %>`).message).toContain("String can't be coerced into Integer (TypeError)");
  });
});

describe("renderErbWithLines", () => {
  it("maps rendered lines back to template lines across trimmed and multi-line tags", () => {
    const template = ["a: 1", "<%", "  x = 2", "-%>", "b: <%= x %>", "<% if true -%>", "c: 3", "<% end -%>", "d: 4"].join("\n");
    const rendered = renderErbWithLines(template, context());
    expect(rendered.text).toBe("a: 1\nb: 2\nc: 3\nd: 4");
    expect([1, 2, 3, 4].map((line) => rendered.sourceLine(line))).toEqual([1, 5, 7, 9]);
  });

  it("maps every line of a multi-line output value to the tag's line", () => {
    const rendered = renderErbWithLines("x: |\n  <%= \"a\\n  b\" %>\ny: 1\n", context());
    expect(rendered.text).toBe("x: |\n  a\n  b\ny: 1\n");
    expect([1, 2, 3, 4].map((line) => rendered.sourceLine(line))).toEqual([1, 2, 2, 3]);
  });
});

describe("bounds on what ERB may compute", () => {
  const limit = "string of more than 1000000 characters (the ERB limit) (NoMemoryError)";

  it.each([
    [`<%= "a" * 300000000 %>`],
    [`<% s = "a" * 1000 %><% s = s + s %><% s = s + s %><% s = s + s %><% s = s + s %><% s = s + s %><% s = s + s %><% s = s + s %><% s = s + s %><% s = s + s %><% s = s + s %><%= s.length %>`],
    [`<%= ("a" * 10000).gsub("a", "b" * 1000) %>`],
    [`<%= ("ab" * 1000).gsub(/a/, "\\\\0" * 1001) %>`],
    [`<%= "#{"x" * 600000}#{"y" * 600000}" %>`],
  ])("refuses to build a string over the limit: %s", (template) => {
    expect(renderIssue(template).message).toContain(limit);
  });

  it("bounds the rendered text as a whole", () => {
    const line = `<%= "x" * 600000 %>\n`;
    expect(renderIssue(line + line).message).toContain(limit);
  });

  it("a rescue for StandardError does not swallow the limit", () => {
    expect(renderIssue(`<%= begin; "a" * 2000000; rescue => e; "small"; end %>`).message).toContain(limit);
  });

  it("keeps strings up to the limit", () => {
    expect(render(`<%= ("a" * 1000000).length %>`)).toBe("1000000");
  });

  it("runs a catastrophic regexp in linear time", () => {
    // With a backtracking engine /(a+)+$/ against "aaa…ab" takes 2^n steps.
    expect(render(`<%= ("a" * 100000 + "b").gsub(/(a+)+$/, "X").length %>`)).toBe("100001");
    expect(render(`<%= ("a" * 50000 + "!").sub(/^(a|a)*$/, "X").length %>`)).toBe("50001");
    expect(render(`<%= ("x" * 30000).split(/(x*)*y/).length %>`)).toBe("1");
  });

  it("refuses what the linear engine cannot run, naming the regexp", () => {
    expect(renderIssue(`<%= "aa".gsub(/(a)\\1/, "b") %>`).message).toMatch(/^invalid regexp \/\(a\)\\1\/: .*\(RegexpError\)/);
    expect(renderIssue(`<%= "ab".gsub(/a(?=b)/, "") %>`).message).toMatch(/^invalid regexp \/a\(\?=b\)\/: .*\(RegexpError\)/);
    expect(renderIssue(`<%= "a\\n".sub(/a\\Z/, "") %>`).message).toContain("\\Z is not supported: use \\z");
  });

  it("keeps Ruby's regexp semantics for the usual patterns", () => {
    expect(render(`<%= "line1\\nline2".gsub(/^line/, "L") %>`)).toBe("L1\nL2");
    expect(render(`<%= "a1b22c".split(/\\d+/).join("|") %>`)).toBe("a|b|c");
    expect(render(`<%= "a-b".split(/(-)/).join("|") %>`)).toBe("a|-|b");
    expect(render(`<%= "abc".gsub(/x*/, "-") %>`)).toBe("-a-b-c-");
    expect(render(`<%= "Hello".gsub(/l/i, "L") %>`)).toBe("HeLLo");
    expect(render(`<%= "v1.2".sub(/\\Av(\\d+)\\.(\\d+)\\z/, "\\\\2.\\\\1") %>`)).toBe("2.1");
    expect(render(`<%= "ff00".gsub(/\\h\\h/, "[\\\\0]") %>`)).toBe("[ff][00]");
  });
});
