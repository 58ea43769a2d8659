import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findSection, parseReference, referenceSections, sectionForKeyPath } from "../../src/config/reference.js";
import { formatIssue, MrskError } from "../../src/errors.js";
import { docsText } from "../../src/flows/docs.js";

// The configuration reference as `mrsk docs` and error hints use it: sections named by their keys.

const SAMPLE = [
  "# Configuration reference",
  "intro",
  "## 2. Secrets",
  "secrets text",
  "### The two eras",
  "eras text",
  "## 5. Key reference",
  "### 5.1 Top level",
  "| `service` | name |",
  "### 5.10 `ssh` and `sshkit`",
  "ssh text",
].join("\n");

describe("the configuration reference", () => {
  it("splits at headings and names key sections by their keys", () => {
    expect(parseReference(SAMPLE).map((s) => [s.names, s.title])).toEqual([
      [["secrets"], "2. Secrets"],
      [["the-two-eras", "eras"], "The two eras"],
      [["configuration", "top-level"], "5.1 Top level"],
      [["ssh", "sshkit"], "5.10 `ssh` and `sshkit`"],
    ]);
    expect(findSection(parseReference(SAMPLE), "sshkit")?.text).toBe("### 5.10 `ssh` and `sshkit`\nssh text");
  });

  it("finds sections by Kamal's docs names too", () => {
    const sections = referenceSections();
    expect(findSection(sections, "accessory")?.names).toEqual(["accessories"]);
    expect(findSection(sections, "role")?.names).toEqual(["servers"]);
    expect(findSection(sections, "Builder")?.title).toBe("5.5 `builder`");
  });

  it("names the section that documents a key path; top-level keys are in `configuration`", () => {
    const sections = referenceSections();
    expect(sectionForKeyPath(sections, "builder.cache.type")).toBe("builder");
    expect(sectionForKeyPath(sections, "servers.web.hosts[1]")).toBe("servers");
    expect(sectionForKeyPath(sections, "sshkit.max_concurrent_starts")).toBe("sshkit");
    expect(sectionForKeyPath(sections, "retain_containers")).toBe("configuration");
  });

  it("config errors name the section to read", () => {
    expect(formatIssue({ file: "config/deploy.yml", path: "builder.cache.type", message: "should be gha or registry", hint: "x" })).toBe(
      "config/deploy.yml: builder.cache.type: should be gha or registry (x; see `mrsk docs builder`)",
    );
    expect(formatIssue({ file: "config/deploy.yml", path: "", message: "is empty" })).toBe("config/deploy.yml: is empty");
  });
});

describe("mrsk docs", () => {
  it("lists the sections, and prints one", () => {
    expect(docsText(undefined)).toContain("  ssh, sshkit");
    expect(docsText("boot")).toMatch(/^### 5\.11 `boot`\n/);
  });

  it("refuses an unknown section with the closest name", () => {
    expect(() => docsText("buidler")).toThrow(MrskError);
    try {
      docsText("buidler");
    } catch (error) {
      expect((error as MrskError).hint).toBe("did you mean `mrsk docs builder`? run `mrsk docs` for the list of sections");
    }
  });
});

describe("mrsk schema", () => {
  it("prints the editor schema the build wrote", () => {
    if (!existsSync(join(import.meta.dirname, "../../dist/deploy.schema.json"))) throw new Error("dist/ is missing: run `npm run build` first");
    const out = execFileSync(join(import.meta.dirname, "../../bin/mrsk"), ["schema"], { encoding: "utf8" });
    const schema = JSON.parse(out) as { title: string; properties: Record<string, unknown> };
    expect(schema.title).toBe("mrsk config/deploy.yml");
    expect(Object.keys(schema.properties)).toContain("builder");
  });
});
