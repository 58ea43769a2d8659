import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { editorSchema } from "../../src/config/editor-schema.js";
import { loadConfig } from "../../src/config/load.js";
import { REFERENCE_FILE } from "../../src/config/reference.js";
import { ConfigError, type ConfigIssue } from "../../src/errors.js";

// The editor schema (JSON Schema for yaml-language-server) against the real configs of the shared
// corpus: every config mrsk accepts is valid, except for exactly the unknown keys mrsk warns about;
// unknown keys and wrong types are flagged.

const CORPUS = join(import.meta.dirname, "../../../shared/corpus/real-configs");
const schema = editorSchema(readFileSync(REFERENCE_FILE, "utf8"), "test");
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

const MINIMAL = { service: "app", image: "me/app", servers: ["1.2.3.4"], registry: { username: "me", password: ["PASSWORD"] } };

interface Loaded {
  document: unknown;
  unknownKeys: string[];
}

function loadCorpusCase(dir: string, configFile: string, destination: string | undefined): Loaded | undefined {
  const cwd = mkdtempSync(join(tmpdir(), `mrsk-editor-schema-${dir}-`));
  cpSync(join(CORPUS, dir), cwd, { recursive: true });
  const env: Record<string, string | undefined> = { PATH: `${join(CORPUS, "_stubs/bin")}:${process.env.PATH}`, HOME: process.env.HOME };
  const envFile = join(cwd, "ENV");
  if (existsSync(envFile)) {
    for (const line of readFileSync(envFile, "utf8").split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  let document: unknown;
  const warnings: ConfigIssue[] = [];
  try {
    loadConfig({ cwd, configFile, destination, env, version: "v", toolVersion: "test", onDocument: (d) => (document = d), onWarning: (w) => warnings.push(w) });
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  return { document, unknownKeys: warnings.filter((w) => w.message.startsWith("unknown key")).map((w) => w.path) };
}

/** A copy of `doc` without the value at dotted `path` (`builder.foo`, `servers.web.bar`). */
function without(doc: unknown, path: string): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const keys = path.split(".");
  let parent: Record<string, unknown> | undefined = copy;
  for (const key of keys.slice(0, -1)) parent = parent?.[key] as Record<string, unknown> | undefined;
  if (parent !== undefined) delete parent[keys.at(-1)!];
  return copy;
}

describe("the editor schema", () => {
  it("accepts a minimal config, with x- keys for YAML anchors", () => {
    expect(validate({ ...MINIMAL, "x-defaults": { a: 1 } })).toBe(true);
  });

  it("flags an unknown key, at the top and in a section", () => {
    expect(validate({ ...MINIMAL, buidler: {} })).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: "additionalProperties", params: { additionalProperty: "buidler" } }));
    expect(validate({ ...MINIMAL, builder: { multiarch: false, contxt: "." } })).toBe(false);
  });

  it("flags wrong types", () => {
    expect(validate({ ...MINIMAL, builder: { multiarch: "no" } })).toBe(false);
    expect(validate({ ...MINIMAL, servers: { web: { hosts: { a: 1, b: 2 }, cmd: ["x"] } } })).toBe(false);
    expect(validate({ ...MINIMAL, boot: { limit: "many" } })).toBe(false);
    expect(validate({ ...MINIMAL, retain_containers: 0 })).toBe(false);
  });

  it("accepts the forms Ruby YAML gives values (numbers as strings, one host for a list)", () => {
    expect(validate({ ...MINIMAL, servers: { web: "1.2.3.4", jobs: { hosts: ["5.6.7.8"], cmd: "bin/jobs" } }, ssh: { port: "2222" }, boot: { limit: "25%" } })).toBe(true);
  });

  it("describes keys from the configuration reference", () => {
    const properties = schema.properties as Record<string, { description?: string }>;
    expect(properties.service?.description).toContain("prefix of container names");
  });

  describe.skipIf(!existsSync(CORPUS))("every accepted config of the shared corpus", () => {
    const [, ...lines] = existsSync(CORPUS) ? readFileSync(join(CORPUS, "MANIFEST.tsv"), "utf8").trimEnd().split("\n") : [];
    for (const line of lines) {
      const [dir, , , configFile, destinations] = line.split("\t") as string[];
      for (const destination of destinations === "-" ? [undefined] : destinations!.split(",")) {
        it(`${dir}${destination === undefined ? "" : ` -d ${destination}`}`, () => {
          const loaded = loadCorpusCase(dir!, configFile!, destination);
          if (loaded === undefined) return; // rejected by mrsk (the compatibility test checks that verdict)
          const cleaned = loaded.unknownKeys.reduce(without, loaded.document);
          expect(validate(cleaned), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
          if (loaded.unknownKeys.length > 0) expect(validate(loaded.document)).toBe(false);
        });
      }
    }
  });
});
