import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { Secrets } from "../../src/config/secrets.js";
import { configFrom } from "../support/config.js";

// The one list of places where a configuration names a secret, and the one way to a secret's value.

describe("secret references", () => {
  it("lists every place of the schema that names a secret, with its path", () => {
    const config = configFrom(
      `service: app
image: dhh/app
servers:
  web:
    hosts: [1.1.1.1]
    env:
      secret: [ROLE_SECRET]
    proxy:
      ssl:
        certificate_pem: ROLE_CERT
        private_key_pem: ROLE_KEY
registry:
  username: [REG_USER]
  password: [REG_PW]
env:
  secret: [ROOT_SECRET, "ALIAS:ALIASED_SECRET"]
  tags:
    canary:
      secret: [TAG_SECRET]
builder:
  secrets: [BUILD_SECRET]
ssh:
  key_data: [SSH_KEY]
proxy:
  host: example.com
  ssl:
    certificate_pem: CERT
    private_key_pem: KEY
accessories:
  db:
    image: mysql:8
    host: 1.1.1.1
    env:
      secret: [DB_SECRET]
    registry:
      server: ghcr.io
      username: literal-user
      password: [DB_REG_PW]
`,
      { env: Object.fromEntries(["ROLE_SECRET", "ROLE_CERT", "ROLE_KEY", "REG_USER", "REG_PW", "ROOT_SECRET", "ALIASED_SECRET", "TAG_SECRET", "BUILD_SECRET", "SSH_KEY", "CERT", "KEY", "DB_SECRET", "DB_REG_PW"].map((n) => [n, `${n}-value`])) },
    );
    expect(config.secretReferences.map((r) => `${r.path} ${r.name}`)).toEqual([
      "env.secret[0] ROOT_SECRET",
      "env.secret[1] ALIASED_SECRET",
      "env.tags.canary.secret[0] TAG_SECRET",
      "servers.web.env.secret[0] ROLE_SECRET",
      "servers.web.proxy.ssl.certificate_pem ROLE_CERT",
      "servers.web.proxy.ssl.private_key_pem ROLE_KEY",
      "registry.username REG_USER",
      "registry.password REG_PW",
      "builder.secrets[0] BUILD_SECRET",
      "ssh.key_data[0] SSH_KEY",
      "proxy.ssl.certificate_pem CERT",
      "proxy.ssl.private_key_pem KEY",
      "accessories.db.env.secret[0] DB_SECRET",
      "accessories.db.registry.password DB_REG_PW",
    ]);
  });

  it("Secrets.get tells its observers before anyone gets the value, and entries() reads through it", () => {
    const secrets = new Secrets(new Map([["A", "a-value"], ["B", "b-value"]]), ["test"], false);
    const seen: string[] = [];
    secrets.observe((name, value) => seen.push(`${name}=${value}`));
    expect(secrets.get("A")).toBe("a-value");
    expect(secrets.get("MISSING")).toBeUndefined();
    expect(secrets.has("B")).toBe(true);
    expect(seen).toEqual(["A=a-value"]);
    secrets.entries();
    expect(seen).toEqual(["A=a-value", "A=a-value", "B=b-value"]);
  });

  it("the loader hands every named secret to the redaction hook, marked used, and .env lines as read", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const cwd = mkdtempSync(join(tmpdir(), "mrsk-refs-"));
    try {
      mkdirSync(join(cwd, "config"));
      writeFileSync(join(cwd, "config/deploy.yml"), "service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry:\n  server: localhost:5555\nbuilder:\n  secrets: [BUILD_SECRET]\n");
      writeFileSync(join(cwd, ".env"), "UNUSED=from-dotenv\n");
      const registered: string[] = [];
      loadConfig({ cwd, env: { BUILD_SECRET: "build-value" }, version: "1", toolVersion: "test", registerSecret: (value, name, used) => registered.push(`${name}=${value} ${used ? "used" : "read"}`) });
      expect(registered).toEqual(["UNUSED=from-dotenv read", "BUILD_SECRET=build-value used"]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
