import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRubyYaml } from "../../src/config/ruby-yaml.js";
import { detectEra, validateShape } from "../../src/config/schema.js";

// Our own deploy files, read the way the loader reads them (Psych-flavoured YAML). Accepted ones
// must give no issues; each rejected one names, on its first line `# expect: …`, a piece of the
// issue it must give, as `path: message (hint)`.
const FIXTURES = join(import.meta.dirname, "../fixtures/schema");

function fixtures(kind: "accepted" | "rejected"): [string, string][] {
  const dir = join(FIXTURES, kind);
  return readdirSync(dir)
    .filter((name) => name.endsWith(".yml"))
    .sort()
    .map((name) => [name, readFileSync(join(dir, name), "utf8")]);
}

function validate(name: string, text: string) {
  const doc = parseRubyYaml(text, name).value;
  return validateShape(doc, { era: detectEra(doc), fileOf: () => name });
}

function render(issue: { path: string; message: string; hint?: string }): string {
  return `${issue.path}: ${issue.message}${issue.hint === undefined ? "" : ` (${issue.hint})`}`;
}

describe("schema fixtures", () => {
  const accepted = fixtures("accepted");
  const rejected = fixtures("rejected");

  it("cover both eras in both directions", () => {
    expect(accepted.length).toBeGreaterThanOrEqual(12);
    expect(rejected.length).toBeGreaterThanOrEqual(12);
    const eras = accepted.map(([name, text]) => detectEra(parseRubyYaml(text, name).value));
    expect(new Set(eras)).toEqual(new Set(["mrsk", "kamal"]));
  });

  it.each(accepted)("accepts %s", (name, text) => {
    expect(validate(name, text).issues.map(render)).toEqual([]);
  });

  it.each(rejected)("rejects %s", (name, text) => {
    const expected = /^# expect: (.+)$/m.exec(text.split("\n")[0] ?? "")?.[1];
    expect(expected, "the first line must be `# expect: <part of the issue>`").toBeDefined();
    expect(validate(name, text).issues.map(render)).toContainEqual(expect.stringContaining(expected!));
  });
});
