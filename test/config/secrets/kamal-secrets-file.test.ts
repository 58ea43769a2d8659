import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadSecrets } from "../../../src/config/secrets.js";
import { extractSecret, secretsJson } from "../../../src/config/secrets/commands.js";
import { rubyShellescape, rubyShellsplit } from "../../../src/config/secrets/shell-words.js";
import { ConfigError } from "../../../src/errors.js";
import { FakeClis } from "../../support/fake-cli.js";

// A `.kamal/secrets` written as Kamal's docs teach, read with a fake `op` and no Ruby Kamal:
// `$(kamal secrets …)` and `$(mrsk secrets …)` run inside mrsk; inside larger shell text they run
// through `kamal`/`mrsk` scripts that call this mrsk (dist/ must be built).

// op prints an object for one field and an array for several.
const fields = (pairs: Record<string, string>) => {
  const list = Object.entries(pairs).map(([label, value]) => ({ id: label, type: "CONCEALED", label, value, reference: `op://MyVault/MyItem/${label}` }));
  return JSON.stringify(list.length === 1 ? list[0] : list);
};
const REGISTRY = `p@ss w"rd $(not run) \\ 'q'`;
const MASTER_KEY = "0123456789abcdef";

describe(".kamal/secrets with kamal secrets fetch/extract", () => {
  let fakes: FakeClis;
  let project: string;
  beforeEach(() => {
    fakes = new FakeClis();
    project = mkdtempSync(join(tmpdir(), "mrsk-kamal-secrets-"));
    mkdirSync(join(project, ".kamal"));
    // A real Ruby Kamal on PATH would be a mistake: any call to it fails the test.
    fakes.install("kamal", []);
  });
  afterEach(() => {
    fakes.remove();
    rmSync(project, { recursive: true, force: true });
  });

  const read = (text: string, path = `${fakes.dir}:/usr/bin:/bin`) => {
    writeFileSync(join(project, ".kamal/secrets"), text);
    const secrets = loadSecrets({ cwd: project, destination: undefined, secretsPath: undefined, env: { PATH: path } });
    fakes.verify();
    return secrets;
  };
  const opCalls = (names: string[], values: Record<string, string>) => [
    { argv: ["--version"], stdout: "2.30.0\n" },
    { argv: ["account", "get", "--account", "my-account"] },
    { argv: ["item", "get", "MyItem", "--vault", "MyVault", "--format", "json", "--account", "my-account", "--fields", names.map((n) => `label=${n}`).join(",")], stdout: fields(values) },
  ];

  it("fetches once in-process and extracts each value, in either spelling", () => {
    fakes.install("op", opCalls(["KAMAL_REGISTRY_PASSWORD", "RAILS_MASTER_KEY"], { KAMAL_REGISTRY_PASSWORD: REGISTRY, RAILS_MASTER_KEY: MASTER_KEY }));
    const secrets = read(
      [
        "SECRETS=$(kamal secrets fetch --adapter 1password --account my-account --from MyVault/MyItem KAMAL_REGISTRY_PASSWORD RAILS_MASTER_KEY)",
        "KAMAL_REGISTRY_PASSWORD=$(kamal secrets extract KAMAL_REGISTRY_PASSWORD $SECRETS)",
        "RAILS_MASTER_KEY=$(mrsk secrets extract RAILS_MASTER_KEY ${SECRETS})",
        "FROM_BINSTUB=$(bin/kamal secrets extract RAILS_MASTER_KEY $SECRETS)",
        "",
      ].join("\n"),
      fakes.dir,
    );
    expect(secrets.get("KAMAL_REGISTRY_PASSWORD")).toBe(REGISTRY);
    expect(secrets.get("RAILS_MASTER_KEY")).toBe(MASTER_KEY);
    expect(secrets.get("FROM_BINSTUB")).toBe(MASTER_KEY);
    // As in Kamal, the fetched JSON is kept shell-escaped so that `$SECRETS` stays one word.
    expect(secrets.get("SECRETS")).toBe(rubyShellescape(`{"MyVault/MyItem/KAMAL_REGISTRY_PASSWORD":${JSON.stringify(REGISTRY)},"MyVault/MyItem/RAILS_MASTER_KEY":"${MASTER_KEY}"}`));
  });

  it("parses options as Thor does: --opt=value, short -a, Kamal's class options ignored", () => {
    fakes.install("bws", [{ argv: ["--version"] }, { argv: ["project", "list"] }, { argv: ["secret", "list"], stdout: JSON.stringify([{ key: "KEY", value: "bws-value" }]) }]);
    const secrets = read(["S=$(kamal secrets fetch --adapter=bitwarden-sm -c config/deploy.yml -d staging --verbose all)", "A=$(kamal secrets extract -q KEY $S)", ""].join("\n"), fakes.dir);
    expect(secrets.get("A")).toBe("bws-value");
    expect(() => read("S=$(kamal secrets fetch -a bitwarden-sm --vault x all)\n", fakes.dir)).toThrow(/Unknown option --vault for secrets/);
    expect(() => read("S=$(kamal secrets extract KEY)\n", fakes.dir)).toThrow(/takes a name and the fetched JSON, got 1 argument/);
    expect(() => read("S=$(kamal secrets print)\n", fakes.dir)).toThrow(/`secrets print` cannot run inside a secrets file/);
  });

  it("runs kamal inside larger shell text through scripts that call this mrsk", () => {
    fakes.install("op", opCalls(["RAILS_MASTER_KEY"], { RAILS_MASTER_KEY: MASTER_KEY }));
    const secrets = read(
      [
        "SECRETS=$(kamal secrets fetch --adapter 1password --account my-account --from MyVault/MyItem RAILS_MASTER_KEY)",
        "UPPER=$(kamal secrets extract RAILS_MASTER_KEY $SECRETS | tr a-f A-F)",
        "",
      ].join("\n"),
    );
    expect(secrets.get("UPPER")).toBe("0123456789ABCDEF");
  });

  it("names the file, line, command and what to do when the vault CLI is missing", () => {
    const run = () => read("SECRETS=$(kamal secrets fetch --adapter 1password --account my-account --from MyVault/MyItem A)\n", fakes.dir);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(".kamal/secrets: line 1: the command for SECRETS failed: $(kamal secrets fetch --adapter 1password --account my-account --from MyVault/MyItem A): 1Password CLI is not installed: `op --version` did not run (install it");
  });

  it("reports an unknown adapter and a secret missing from the fetched JSON", () => {
    expect(() => read("S=$(kamal secrets fetch --adapter keepass A)\n", fakes.dir)).toThrow(/Unknown secrets adapter: keepass \(use one of 1password, bitwarden/);
    expect(() => read(`S=$(kamal secrets extract B ${rubyShellescape('{"a/A":"x"}')})\n`, fakes.dir)).toThrow(/Could not find secret B \(the fetched secrets are: a\/A\)/);
  });
});

describe("secrets fetch output and extract", () => {
  it("prints JSON in the vault's order, and extracts by full name or by the last part", () => {
    const json = secretsJson(new Map([["b/2", "two"], ["10", "ten"], ["a/TOKEN", 'q"uote']]));
    expect(json).toBe('{"b/2":"two","10":"ten","a/TOKEN":"q\\"uote"}');
    expect(extractSecret("TOKEN", json)).toBe('q"uote');
    expect(extractSecret("10", json)).toBe("ten");
    expect(extractSecret("b/2", json)).toBe("two");
    expect(() => extractSecret("X", "not json")).toThrow(/not the JSON that `secrets fetch` prints/);
  });
});

describe("Ruby's shellescape and shellsplit", () => {
  it("round-trip any text as one word", () => {
    for (const text of ['{"k":"v w"}', "a'b\"c\\d$e`f", "", "new\nline", "ünï"]) {
      expect(rubyShellsplit(`extract K ${rubyShellescape(text)}`).words).toEqual(["extract", "K", text]);
    }
    expect(rubyShellescape('{"a":"b c"}')).toBe('\\{\\"a\\":\\"b\\ c\\"\\}');
  });

  it("split quotes as Ruby does and notice unquoted shell syntax", () => {
    expect(rubyShellsplit(`kamal secrets fetch --from 'My Vault/Item' "a \\"b\\" \\x" c\\ d`)).toEqual({ words: ["kamal", "secrets", "fetch", "--from", "My Vault/Item", 'a "b" \\x', "c d"], shellSyntax: false });
    expect(rubyShellsplit("kamal secrets extract A $S | jq").shellSyntax).toBe(true);
    expect(rubyShellsplit("kamal secrets extract A '|'").shellSyntax).toBe(false);
    expect(() => rubyShellsplit("a 'b")).toThrow(/Unmatched quote/);
  });
});
