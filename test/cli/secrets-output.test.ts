import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The built `mrsk` never prints a secret: every place a config names one, multi-line values, load
// errors, structured output, short values; and hosts stay visible when a secret holds one.

const BIN = join(import.meta.dirname, "../../bin/mrsk");
const CORPUS = process.env.MRSK_CORPUS ?? join(import.meta.dirname, "../../../shared/corpus/real-configs");
const made: string[] = [];

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mrsk-secrets-output-"));
  made.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function mrsk(cwd: string, env: Record<string, string>, ...args: string[]) {
  const result = await execa("node", [BIN, ...args], { cwd, env: { HOME: cwd, PATH: process.env.PATH!, VERSION: "999", ...env }, extendEnv: false, reject: false, stdin: "ignore" });
  return { ...result, all: `${result.stdout}\n${result.stderr}` };
}

beforeAll(() => {
  if (!existsSync(join(import.meta.dirname, "../../dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
});

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Each key of the schema that names a secret, with a distinct value for it. */
const SECRET_VALUES: Record<string, string> = {
  REGISTRY_USER_SECRET: "registry-user-value",
  MRSK_REGISTRY_PASSWORD: "registry-password-value",
  RAILS_MASTER_KEY: "root-env-secret-value",
  TAGGED_SECRET: "tag-env-secret-value",
  ROLE_SECRET: "role-env-secret-value",
  GITHUB_TOKEN: "ghp_builder_secret_value",
  SSH_KEY: "ssh-key-data-value",
  ACCESSORY_SECRET: "accessory-env-secret-value",
  ACCESSORY_REGISTRY_USER: "accessory-registry-user-value",
  ACCESSORY_REGISTRY_PASSWORD: "accessory-registry-password-value",
  TRAEFIK_SECRET: "traefik-env-secret-value",
  CERT_PEM: "certificate-pem-value",
  KEY_PEM: "private-key-pem-value",
  ROLE_CERT_PEM: "role-certificate-pem-value",
  ROLE_KEY_PEM: "role-private-key-pem-value",
};

const COMMON = `service: app
image: dhh/app
registry:
  username: [REGISTRY_USER_SECRET]
  password: [MRSK_REGISTRY_PASSWORD]
env:
  secret: [RAILS_MASTER_KEY]
  tags:
    canary:
      secret: [TAGGED_SECRET]
builder:
  secrets: [GITHUB_TOKEN]
ssh:
  key_data: [SSH_KEY]
accessories:
  db:
    image: mysql:8
    host: 1.1.1.3
    env:
      secret: [ACCESSORY_SECRET]
    registry:
      server: ghcr.io
      username: [ACCESSORY_REGISTRY_USER]
      password: [ACCESSORY_REGISTRY_PASSWORD]
`;

/** What `mrsk --dry-run server exec "echo …"` printed of the values it was given. */
async function leaked(deploy: string, names: string[]): Promise<string[]> {
  const dir = project({ "config/deploy.yml": deploy });
  const env = { ...SECRET_VALUES };
  const run = await mrsk(dir, env, "--dry-run", "server", "exec", `echo ${names.map((n) => SECRET_VALUES[n]).join(" ")}`);
  expect(run.stderr).toBe("");
  expect(run.stdout).toContain("$ echo [REDACTED]");
  return names.filter((n) => run.all.includes(SECRET_VALUES[n]!));
}

describe("every place a config names a secret is masked", () => {
  it("with Traefik: env (root, tags, role), registry, builder.secrets, ssh.key_data, accessories, traefik.env", async () => {
    const deploy = `${COMMON}servers:
  web:
    hosts:
      - 1.1.1.1: canary
    env:
      secret: [ROLE_SECRET]
traefik:
  env:
    secret: [TRAEFIK_SECRET]
`;
    const names = Object.keys(SECRET_VALUES).filter((n) => !n.includes("PEM"));
    expect(await leaked(deploy, names)).toEqual([]);
  });

  it("with the Caddy driver: the proxy's certificates from secrets, root and per role", async () => {
    const deploy = `${COMMON}servers:
  web:
    hosts: [1.1.1.1]
    proxy:
      ssl:
        certificate_pem: ROLE_CERT_PEM
        private_key_pem: ROLE_KEY_PEM
  api:
    hosts: [1.1.1.2]
    proxy: true
proxy:
  host: example.com
  ssl:
    certificate_pem: CERT_PEM
    private_key_pem: KEY_PEM
`;
    expect(await leaked(deploy, ["CERT_PEM", "KEY_PEM", "ROLE_CERT_PEM", "ROLE_KEY_PEM", "GITHUB_TOKEN"])).toEqual([]);
  });

  it("masks registry passwords written in deploy.yml itself, as ERB output or literally", async () => {
    const deploy = `service: app
image: dhh/app
servers: [1.1.1.1]
registry:
  username: user
  password: <%= "ecr-" + "login-password-value" %>
accessories:
  db:
    image: mysql:8
    host: 1.1.1.1
    registry:
      server: ghcr.io
      username: me
      password: accessory-literal-password
`;
    const dir = project({ "config/deploy.yml": deploy });
    const run = await mrsk(dir, {}, "--dry-run", "server", "exec", "echo ecr-login-password-value accessory-literal-password");
    expect(run.stdout).toContain("$ echo [REDACTED] [REDACTED]");
    expect(run.all).not.toMatch(/login-password-value|accessory-literal-password/);
  });

  it("masks a failing build's stderr that echoes a builder secret, at normal verbosity", async () => {
    const bin = project({
      "docker": "#!/bin/sh\nif [ \"$1 $2\" = \"buildx build\" ]; then echo \"fatal: could not read from github with token $GITHUB_TOKEN\" >&2; exit 1; fi\nexit 0\n",
    });
    chmodSync(join(bin, "docker"), 0o755);
    const dir = project({ "config/deploy.yml": "service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry:\n  server: localhost:5555\nbuilder:\n  secrets: [GITHUB_TOKEN]\n" });
    const { buildAndPush } = await import("../../src/flows/image.js");
    const { Context } = await import("../../src/cli/context.js");
    const { reportError } = await import("../../src/cli/run.js");
    const out: string[] = [];
    const sinks = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    const ctx = await Context.create({ options: {}, cwd: dir, env: { PATH: `${bin}:${process.env.PATH}`, GITHUB_TOKEN: "ghp_builder_secret_value", VERSION: "999" }, sinks });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const config = await ctx.config();
      await buildAndPush(ctx, config, "999", []).then(
        () => expect.fail("the build should fail"),
        (error: unknown) => reportError(ctx.output, error, false),
      );
    } finally {
      process.env.PATH = path;
      await ctx.close();
    }
    const text = out.join("");
    expect(text).toContain("fatal: could not read from github with token [REDACTED]");
    expect(text).not.toContain("ghp_builder_secret_value");
  });
});

const PEM_LINES = ["-----BEGIN EC PRIVATE KEY-----", "MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49", "AwEHoUQDQgAEPR3tU2Fta9ktY+6P9G4cWO+1kIm6bZf5tZ2Z0gJ0J8kAbJq1VwKz", "-----END EC PRIVATE KEY-----"];

describe("multi-line secrets", () => {
  it("masks each line of a PEM key that a failing hook prints, in its error at normal verbosity", async () => {
    const dir = project({
      "config/deploy.yml": "service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry:\n  server: localhost:5555\nproxy:\n  host: example.com\n  ssl:\n    certificate_pem: CERT_PEM\n    private_key_pem: KEY_PEM\n",
      ".kamal/secrets": `CERT_PEM="certificate-body-text"\nKEY_PEM="${PEM_LINES.join("\n")}"\n`,
      // The hook prints the key's lines with its own indentation, then fails.
      ".kamal/hooks/pre-build": `#!/bin/sh\necho "checking the key:"\nsed 's/^/  /' <<'PEM'\n${PEM_LINES.join("\n")}\nPEM\nexit 3\n`,
    });
    chmodSync(join(dir, ".kamal/hooks/pre-build"), 0o755);
    const { runHook } = await import("../../src/flows/hooks.js");
    const { Context } = await import("../../src/cli/context.js");
    const { reportError } = await import("../../src/cli/run.js");
    for (const verbose of [false, true]) {
      const out: string[] = [];
      const sinks = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
      const ctx = await Context.create({ options: { verbose }, cwd: dir, env: { PATH: process.env.PATH, VERSION: "999" }, sinks });
      try {
        const config = await ctx.config();
        await runHook(ctx, config, "pre-build", { command: "build", subcommand: "push", hosts: [], version: "999" }).then(
          () => expect.fail("the hook should fail"),
          (error: unknown) => reportError(ctx.output, error, false),
        );
      } finally {
        await ctx.close();
      }
      const text = out.join("");
      expect(text).toContain("checking the key:");
      expect(text).toContain("  [REDACTED]\n");
      for (const line of PEM_LINES) expect(text).not.toContain(line);
      expect(text).not.toMatch(/MHcCAQ|AwEHoU|PRIVATE KEY/);
    }
  });
});

describe("secrets in load errors", () => {
  const deploy = (value: string): string =>
    `service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry:\n  username: user\n  password: [MRSK_REGISTRY_PASSWORD]\nenv:\n  clear:\n    DATABASE_URL: ${value}\n`;

  it("never quotes a malformed .env line, nor a line of a secrets file", async () => {
    const dotenv = project({ "config/deploy.yml": deploy("x"), ".env": "MRSK_REGISTRY_PASSWORD=registry-pw-value\nghp_not_a_key_line_value\n" });
    const run = await mrsk(dotenv, {}, "config");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(".env: line 2 is not KEY=value (the line is not shown: it may hold a secret)");
    expect(run.all).not.toContain("ghp_not_a_key_line_value");
    const kamal = project({ "config/deploy.yml": deploy("x"), ".kamal/secrets": "MRSK_REGISTRY_PASSWORD=pw-value\nexport KEY with spaces=abc-secret-text\n" });
    const secretsRun = await mrsk(kamal, {}, "config");
    expect(secretsRun.exitCode).toBe(1);
    expect(secretsRun.stderr).toContain(".kamal/secrets: line 2 is not KEY=value");
    expect(secretsRun.all).not.toContain("abc-secret-text");
  });

  for (const value of ["@at-start-secret", "*star-start-secret", "%percent-start-secret", "|pipe-start-secret", "`tick-start-secret", "ok: then-colon-secret"]) {
    it(`masks a .env value that breaks the YAML after ERB: ${JSON.stringify(value)}`, async () => {
      const dir = project({ "config/deploy.yml": deploy('<%= ENV["DATABASE_URL"] %>'), ".env": `MRSK_REGISTRY_PASSWORD=registry-pw-value\nDATABASE_URL='${value}'\n` });
      const run = await mrsk(dir, {}, "config");
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain("config/deploy.yml");
      expect(run.all).not.toContain(value.replace(/^[^a-z]+/, ""));
    });
  }

  it("masks a secret from .env in a schema error about the value it ended up in", async () => {
    const dir = project({
      "config/deploy.yml": 'service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry:\n  username: user\n  password: [MRSK_REGISTRY_PASSWORD]\nhealthcheck:\n  port: <%= ENV["DB_PASSWORD"] %>\n',
      ".env": "MRSK_REGISTRY_PASSWORD=registry-pw-value\nDB_PASSWORD=hunter2-but-longer\n",
    });
    const run = await mrsk(dir, {}, "config");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("healthcheck.port");
    expect(run.all).not.toContain("hunter2-but-longer");
  });

  it("accepts a UTF-8 byte order mark at the top of .env and of .kamal/secrets", async () => {
    const dotenv = project({ "config/deploy.yml": deploy("x"), ".env": "\uFEFFMRSK_REGISTRY_PASSWORD=registry-pw-value\n" });
    const run = await mrsk(dotenv, {}, "config");
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const kamal = project({ "config/deploy.yml": deploy("x"), ".kamal/secrets": "\uFEFFMRSK_REGISTRY_PASSWORD=pw-value-from-file\n" });
    const kamalRun = await mrsk(kamal, {}, "config");
    expect(kamalRun.stderr).toBe("");
    expect(kamalRun.exitCode).toBe(0);
  });
});

describe("structured output", () => {
  it("mrsk config --json is valid JSON with secrets equal to 3000 and true; a port 3000 stays 3000", async () => {
    const dir = project({
      "config/deploy.yml": "service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry:\n  username: [REGISTRY_USER]\n  password: [MRSK_REGISTRY_PASSWORD]\nenv:\n  clear:\n    RAILS_SERVE_STATIC_FILES: true\n  secret: [PORT, FORCE_SSL]\nhealthcheck:\n  port: 3000\n",
      ".env": "MRSK_REGISTRY_PASSWORD=registry-pw-value\nREGISTRY_USER=abc\nPORT=3000\nFORCE_SSL=true\n",
    });
    const run = await mrsk(dir, {}, "config", "--json");
    expect(run.exitCode).toBe(0);
    const event = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { type: string; text: string; data: Record<string, any> };
    expect(event.type).toBe("result");
    expect(JSON.parse(event.text)).toEqual(event.data);
    expect(event.data.roles.web.healthcheck.port).toBe(3000);
    expect(event.data.roles.web.proxied).toBe(true);
    expect(event.data.roles.web.env.secret).toEqual(["PORT", "FORCE_SSL"]);
    // Fields that hold a secret are masked whatever their value, even one too short for text.
    expect(event.data.registry).toMatchObject({ username: "[REDACTED]", password: "[REDACTED]" });
    expect(run.stdout).not.toContain("registry-pw-value");
    // Text output keeps masking by substitution.
    const text = await mrsk(dir, {}, "config");
    expect(text.stdout).toContain("    port: [REDACTED]");
    expect(text.stdout).toContain("  username: \"[REDACTED]\"");
  });
});

describe("short secrets", () => {
  it("warns once per secret the config uses that is too short to mask, naming the key and never the value", async () => {
    const dir = project({
      "config/deploy.yml": "service: app\nimage: dhh/app\nservers:\n  web:\n    hosts: [1.1.1.1]\n    env:\n      secret: [PIN]\nregistry:\n  username: user\n  password: [MRSK_REGISTRY_PASSWORD]\nenv:\n  secret: [PIN]\n",
      ".env": "MRSK_REGISTRY_PASSWORD=registry-pw-value\nPIN=q7z\nUNUSED=x9\n",
    });
    const run = await mrsk(dir, {}, "config");
    expect(run.exitCode).toBe(0);
    const warnings = run.stderr.split("\n").filter((l) => l.startsWith("WARNING"));
    expect(warnings).toEqual(["WARNING secret PIN is shorter than 4 characters, so it cannot be masked in output: use a longer value"]);
    expect(run.stderr).not.toContain("q7z");
  });
});

describe.skipIf(!existsSync(CORPUS))("hosts stay visible (PlaceCal keeps PRODUCTION_HOST in .kamal/secrets.production)", () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mrsk-placecal-"));
    made.push(dir);
    cpSync(join(CORPUS, "geeksforsocialchange__PlaceCal"), dir, { recursive: true });
    env = { PATH: `${join(CORPUS, "_stubs/bin")}:${process.env.PATH}` };
    for (const line of readFileSync(join(dir, "ENV"), "utf8").trim().split("\n")) env[line.split("=")[0]!] = line.slice(line.indexOf("=") + 1);
  });

  it("mrsk config -d production shows the host, and keeps the secrets masked", async () => {
    const run = await mrsk(dir, env, "config", "-d", "production");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("primary_host: 192.0.2.80");
    expect(run.stdout).toContain("hosts:\n  - 192.0.2.80\n");
    expect(run.stdout).not.toContain("fake-");
    const json = await mrsk(dir, env, "config", "-d", "production", "--json");
    const data = (JSON.parse(json.stdout.trim()) as { data: Record<string, any> }).data;
    expect(data.primary_host).toBe("192.0.2.80");
    expect(data.accessories.db.hosts).toEqual(["192.0.2.80"]);
    expect(data.registry.username).toBe("[REDACTED]");
  });

  it("prefixes every line of a deploy with the host, and masks the secrets in them", async () => {
    const run = await mrsk(dir, env, "--dry-run", "-d", "production", "server", "exec", "echo fake-RAILS_MASTER_KEY-production on 192.0.2.80");
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.startsWith("[192.0.2.80] ")).toBe(true);
    expect(run.stdout).toContain("$ echo [REDACTED] on 192.0.2.80");
  });
});
