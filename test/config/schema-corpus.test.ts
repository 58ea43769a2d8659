import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { detectEra, validateShape } from "../../src/config/schema.js";

// The real configs of /work/shared/corpus/real-configs (read in place, never copied). ERB and the
// destination merge belong to other modules, so this test stubs ERB — an output tag `<%= … %>`
// becomes the word "placeholder", a code or comment tag `<% … %>` becomes nothing, as ERB prints
// nothing for it — and deep-merges overlays itself (maps merge, arrays and scalars replace).
// With code tags dropped, the ERB-heavy rows parse too: bikeindex's `<% if pr %>` block is kept
// (as with the manifest's PR number), csa-admin loses its generated proxy hosts (its verdict is
// `reject` because upstream cannot read tenant.yml offline, so only its era is checked).
const CORPUS = "/work/shared/corpus/real-configs";

interface Row {
  dir: string;
  configPath: string;
  destinations: string[];
  era: "mrsk" | "kamal1" | "kamal2";
  upstreamMrsk: string;
  upstreamKamal: string;
}

function manifest(): Row[] {
  const [, ...lines] = readFileSync(join(CORPUS, "MANIFEST.tsv"), "utf8").trimEnd().split("\n");
  return lines.map((line) => {
    const [dir, , , configPath, destinations, era, upstreamMrsk, upstreamKamal] = line.split("\t");
    return {
      dir: dir!,
      configPath: configPath!,
      destinations: destinations === "-" ? [] : destinations!.split(","),
      era: era as Row["era"],
      upstreamMrsk: upstreamMrsk!,
      upstreamKamal: upstreamKamal!,
    };
  });
}

function stubErb(text: string): string {
  return text.replace(/<%=.*?%>/gs, "placeholder").replace(/<%.*?%>/gs, "");
}

function readYaml(path: string): unknown {
  return parse(stubErb(readFileSync(path, "utf8")), { merge: true, uniqueKeys: false });
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepMerge(base: unknown, overlay: unknown): unknown {
  if (!isMap(base) || !isMap(overlay)) return overlay;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) merged[key] = key in merged ? deepMerge(merged[key], value) : value;
  return merged;
}

/** `config/deploy.yml` + `staging` → `config/deploy.staging.yml`. */
function overlayPath(configPath: string, destination: string): string {
  const file = configPath.slice(configPath.lastIndexOf("/") + 1);
  const stem = file.slice(0, file.lastIndexOf("."));
  return join(dirname(configPath), `${stem}.${destination}.yml`);
}

interface Case {
  name: string;
  row: Row;
  doc: unknown;
}

function cases(row: Row): Case[] {
  const base = readYaml(join(CORPUS, row.dir, row.configPath));
  if (row.destinations.length === 0) return [{ name: row.dir, row, doc: base }];
  return row.destinations.map((destination) => {
    const path = join(CORPUS, row.dir, overlayPath(row.configPath, destination));
    return { name: `${row.dir} -d ${destination}`, row, doc: deepMerge(base, readYaml(path)) };
  });
}

function verdict(row: Row): string {
  return row.era === "kamal2" ? row.upstreamKamal : row.upstreamMrsk;
}

const corpusPresent = existsSync(join(CORPUS, "MANIFEST.tsv"));
const rows = corpusPresent ? manifest() : [];
const all = rows.flatMap(cases);
const fileOf = () => "config/deploy.yml";

describe.skipIf(!corpusPresent)("the real-config corpus", () => {
  it("has the 58 rows the manifest promises", () => {
    expect(manifest()).toHaveLength(58);
  });

  it.each(all.map((c) => [c.name, c] as const))("%s: the era is detected as the manifest classifies it", (_name, c) => {
    expect(detectEra(c.doc)).toBe(c.row.era === "kamal2" ? "kamal" : "mrsk");
  });

  const accepted = all.filter((c) => verdict(c.row) === "accept");
  it.each(accepted.map((c) => [c.name, c] as const))("%s: accepted upstream, so no issues here", (_name, c) => {
    const result = validateShape(c.doc, { era: detectEra(c.doc), fileOf });
    expect(result.issues).toEqual([]);
  });

  it("rejects hackclub/janus like Kamal: automatic SSL without a host", () => {
    const [janus] = all.filter((c) => c.row.dir === "hackclub__janus");
    const result = validateShape(janus!.doc, { era: "kamal", fileOf });
    expect(result.issues).toEqual([
      expect.objectContaining({ path: "proxy.ssl", message: "Must set a host to enable automatic SSL" }),
    ]);
  });

  it("rejects TRex22/ollama-proxy like both upstreams: no registry", () => {
    const [ollama] = all.filter((c) => c.row.dir === "TRex22__ollama-proxy");
    const result = validateShape(ollama!.doc, { era: "kamal", fileOf });
    expect(result.issues).toEqual([expect.objectContaining({ path: "registry", message: "is required" })]);
  });

  it("keeps MRSK's leniency as warnings: unknown keys real MRSK configs carry", () => {
    const warningsOf = (dir: string) => {
      const [c] = all.filter((x) => x.row.dir === dir);
      return validateShape(c!.doc, { era: "mrsk", fileOf }).warnings.map((w) => w.path);
    };
    expect(warningsOf("Purple-Magic__tramway_pro")).toContain("options");
    expect(warningsOf("jaspermayone__greenhouse")).toContain("accessories.db.container_name");
    expect(warningsOf("thtg88__mrsk-demo")).toEqual(
      expect.arrayContaining(["accessories.db.env.files", "accessories.db.env.directories"]),
    );
    expect(warningsOf("dorianmariecom__code")).toContain("builder.remote.ssh");
  });

  it("rejects the same leniencies as errors in the Kamal era, as Kamal 2 does", () => {
    const [thtg88] = all.filter((x) => x.row.dir === "thtg88__mrsk-demo");
    const result = validateShape(thtg88!.doc, { era: "kamal", fileOf });
    expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'accessories.db.env.files: unknown key "files"',
      'accessories.db.env.directories: unknown key "directories"',
    ]);
  });
});
