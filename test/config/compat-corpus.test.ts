import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { loadConfig } from "../../src/config/load.js";
import { describeConfig } from "../../src/flows/describe-config.js";
import { Redactor } from "../../src/output/redact.js";
import { ConfigError } from "../../src/errors.js";

// Every public deploy.yml of the shared corpus loads here as MRSK 0.13 / Kamal 2 judged it: an
// accepted config loads with the same hosts, a rejected one fails with a ConfigError.
// The corpus lives outside the repository (../shared) and is never copied into it.

const CORPUS = process.env.MRSK_CORPUS ?? join(import.meta.dirname, "../../../shared/corpus/real-configs");

interface Row {
  dir: string;
  configPath: string;
  destinations: string[];
  era: string;
  verdict: "accept" | "reject";
  expectedHosts: Map<string | undefined, string[]>;
}

function rows(): Row[] {
  const [, ...lines] = readFileSync(join(CORPUS, "MANIFEST.tsv"), "utf8").trimEnd().split("\n");
  return lines.map((line) => {
    const [dir, , , configPath, destinations, era, upstreamMrsk, upstreamKamal, expected] = line.split("\t") as string[];
    const dests = destinations === "-" ? [] : destinations!.split(",");
    const expectedHosts = new Map<string | undefined, string[]>();
    if (dests.length === 0) expectedHosts.set(undefined, expected!.split(","));
    else for (const part of expected!.split(";")) {
      const [dest, hosts] = part.split(":");
      expectedHosts.set(dest, hosts!.split("+"));
    }
    const verdict = (era === "kamal2" ? upstreamKamal : upstreamMrsk) as "accept" | "reject";
    return { dir: dir!, configPath: configPath!, destinations: dests, era: era!, verdict, expectedHosts };
  });
}

function caseEnv(dir: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { PATH: `${join(CORPUS, "_stubs/bin")}:${process.env.PATH}`, HOME: process.env.HOME };
  const file = join(dir, "ENV");
  if (existsSync(file)) {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return env;
}

function load(row: Row, destination: string | undefined, redactor?: Redactor) {
  const cwd = mkdtempSync(join(tmpdir(), `mrsk-compat-${row.dir}-`));
  cpSync(join(CORPUS, row.dir), cwd, { recursive: true });
  try {
    return loadConfig({
      cwd,
      configFile: row.configPath,
      destination,
      version: "testver",
      env: caseEnv(cwd),
      toolVersion: "test",
      ...(redactor === undefined ? {} : { registerSecret: (value: string) => void redactor.register(value) }),
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

describe.skipIf(!existsSync(CORPUS))("real deploy.yml files (shared corpus)", () => {
  const all = existsSync(CORPUS) ? rows() : [];

  it("has the 58 cases", () => {
    expect(all).toHaveLength(58);
  });

  for (const row of all) {
    for (const destination of row.destinations.length === 0 ? [undefined] : row.destinations) {
      const name = `${row.dir}${destination === undefined ? "" : ` -d ${destination}`} (${row.era}): ${row.verdict}`;
      if (row.verdict === "accept") {
        it(name, () => {
          const redactor = new Redactor();
          const config = load(row, destination, redactor);
          expect(config.appHosts).toEqual(expect.arrayContaining(row.expectedHosts.get(destination)!));
          // `mrsk config` shows every host as itself, even one kept in a secrets file (PlaceCal).
          redactor.showHosts(config.namedHosts);
          const shown = parse(redactor.redact(stringify(describeConfig(config)))) as { primary_host: string; hosts: string[] };
          expect(shown.hosts).toEqual(config.allHosts);
          expect(shown.primary_host).toBe(config.primaryHost);
        });
      } else {
        it(name, () => {
          expect(() => load(row, destination)).toThrow(ConfigError);
        });
      }
    }
  }
});
