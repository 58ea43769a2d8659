import { describe, expect, it } from "vitest";
import { Config, type LoadContext } from "../../src/config/model.js";
import { Secrets } from "../../src/config/secrets.js";
import { ConfigError } from "../../src/errors.js";

const secrets = new Secrets(new Map([["RAILS_MASTER_KEY", "master-key-value"], ["REGISTRY_PW", "pw-value"], ["DB_PW", "db-secret"]]), [".kamal/secrets"], false);

function build(doc: Record<string, unknown>, overrides: Partial<LoadContext> = {}): Config {
  return Config.build(doc, {
    era: "mrsk",
    destination: undefined,
    secrets,
    fileOf: () => "config/deploy.yml",
    version: () => "999",
    files: ["config/deploy.yml"],
    toolVersion: "0.1.0",
    ...overrides,
  });
}

const minimal = { service: "app", image: "dhh/app", servers: ["1.1.1.1", "1.1.1.2"], registry: { username: "user", password: ["REGISTRY_PW"] } };

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe("Config", () => {
  it("derives names from service, role, destination and version", () => {
    const config = build(minimal);
    const web = config.primaryRole;
    expect(web.name).toBe("web");
    expect(config.primaryHost).toBe("1.1.1.1");
    expect(config.repository).toBe("dhh/app");
    expect(config.imageRef()).toBe("dhh/app:999");
    expect(config.latestImage).toBe("dhh/app:latest");
    expect(web.containerName("999")).toBe("app-web-999");
    expect(web.versionOf("app-web-999_replaced_abc")).toBe("999_replaced_abc");
    expect(config.lockDirectory).toBe(".mrsk/lock-app");
    expect(config.roleEnvFile(web)).toBe(".mrsk/app/env/roles/web.env");
    expect(config.auditLog).toBe(".mrsk/app/audit.log");
    expect(config.registry.password).toBe("pw-value");
    expect(web.labelPairs).toEqual([["service", "app"], ["role", "web"], ["destination", ""]]);
  });

  it("puts the destination into names and labels", () => {
    const config = build({ ...minimal, registry: { server: "ghcr.io", username: "u", password: "literal" } }, { destination: "staging" });
    expect(config.primaryRole.containerName("1")).toBe("app-web-staging-1");
    expect(config.repository).toBe("ghcr.io/dhh/app");
    expect(config.latestImage).toBe("ghcr.io/dhh/app:latest-staging");
    expect(config.lockDirectory).toBe(".mrsk/lock-app-staging");
    expect(config.primaryRole.labelPairs).toContainEqual(["destination", "staging"]);
  });

  it("joins the registry server to an image that already names it, as Kamal does", () => {
    expect(build({ ...minimal, image: "ghcr.io/b3s/b3s", registry: { server: "ghcr.io", username: "u", password: "p" } }).repository).toBe(
      "ghcr.io/ghcr.io/b3s/b3s",
    );
  });

  it("merges root, role and host-tag env", () => {
    const config = build({
      ...minimal,
      servers: { web: { hosts: ["1.1.1.1", { "1.1.1.2": ["eu", "canary"] }], env: { clear: { ROLE: "web" }, secret: ["DB_PW"] } } },
      env: { clear: { A: "root", ROLE: "none" }, secret: ["RAILS_MASTER_KEY"], tags: { eu: { REGION: "eu" }, canary: { clear: { A: "canary" } } } },
    });
    const web = config.primaryRole;
    expect(web.env("1.1.1.1").clear).toEqual({ A: "root", ROLE: "web" });
    expect(web.env("1.1.1.2").clear).toEqual({ A: "canary", ROLE: "web", REGION: "eu" });
    expect(web.env("1.1.1.1").secrets.map((s) => s.name)).toEqual(["RAILS_MASTER_KEY", "DB_PW"]);
    expect(config.secretValues(web.env("1.1.1.1"))).toEqual([["RAILS_MASTER_KEY", "master-key-value"], ["DB_PW", "db-secret"]]);
  });

  it("puts the web role behind Traefik and gives it the MRSK health check", () => {
    const config = build({ ...minimal, servers: { web: ["1.1.1.1"], workers: { hosts: ["1.1.1.3"], cmd: "bin/jobs" } }, healthcheck: { path: "/health" } });
    expect(config.proxyDriver).toBe("traefik");
    expect(config.role("web")!.proxied).toBe(true);
    expect(config.role("web")!.healthcheck).toMatchObject({ path: "/health", port: 3000, maxAttempts: 7, interval: "1s" });
    expect(config.role("workers")!.proxied).toBe(false);
    expect(config.role("workers")!.healthcheck).toBeUndefined();
    expect(config.proxyHosts).toEqual(["1.1.1.1"]);
    expect(config.appHosts).toEqual(["1.1.1.1", "1.1.1.3"]);
  });

  it("selects the Caddy driver with a proxy section, proxying the primary role unless it says proxy: false", () => {
    const config = build({ ...minimal, proxy: { host: "app.example.com" }, servers: { web: ["1.1.1.1"], api: { hosts: ["1.1.1.2"], proxy: true } } }, { era: "kamal" });
    expect(config.proxyDriver).toBe("caddy");
    expect(config.proxiedRoles.map((r) => r.name)).toEqual(["web", "api"]);
    expect(config.hooksPath).toBe(".kamal/hooks");
  });

  it("resolves accessory hosts from host, roles and tags", () => {
    const config = build({
      ...minimal,
      servers: { web: ["1.1.1.1", { "1.1.1.2": "db" }] },
      accessories: { db: { image: "mysql:8", tag: "db", port: 3306 }, redis: { image: "redis", roles: ["web"] }, other: { image: "x", host: "9.9.9.9" } },
    });
    expect(config.accessory("db")).toMatchObject({ service: "app-db", hosts: ["1.1.1.2"], port: "3306:3306" });
    expect(config.accessory("redis")!.hosts).toEqual(["1.1.1.1", "1.1.1.2"]);
    expect(config.allHosts).toEqual(["1.1.1.1", "1.1.1.2", "9.9.9.9"]);
  });

  it("reports every semantic problem at once, with key paths", () => {
    const issues = issuesOf(() =>
      build({
        ...minimal,
        servers: { web: ["1.1.1.1"], jobs: [] },
        env: { secret: ["MISSING_ONE"] },
        registry: { username: "u", password: ["MISSING_PW"] },
        accessories: { db: { image: "x", roles: ["nope"] } },
      }),
    );
    expect(issues).toEqual([
      'servers.jobs: role "jobs" has no hosts',
      "registry.password: secret MISSING_PW is not set; searched .kamal/secrets",
      'accessories.db.roles: no role named "nope"',
      "env.secret[0]: secret MISSING_ONE is not set; searched .kamal/secrets",
    ]);
  });

  it("allows empty roles only when told, and never an empty primary role", () => {
    expect(issuesOf(() => build({ ...minimal, allow_empty_roles: true, servers: { web: ["h"], jobs: null } }))).toEqual([]);
    expect(issuesOf(() => build({ ...minimal, allow_empty_roles: true, servers: { web: [] } }))).toEqual(['servers.web: the primary role "web" has no hosts']);
  });

  it("names the primary role when it is missing", () => {
    expect(issuesOf(() => build({ ...minimal, servers: { workers: ["h"] } }))).toEqual(['servers: there is no role named "web", the primary role']);
    expect(build({ ...minimal, primary_role: "workers", servers: { workers: ["h"] } }).primaryHost).toBe("h");
  });

  it("requires a destination when the config says so, and checks minimum_version", () => {
    expect(issuesOf(() => build({ ...minimal, require_destination: true }))).toEqual(["require_destination: this configuration must be used with a destination"]);
    expect(issuesOf(() => build({ ...minimal, require_destination: true }, { destination: "production" }))).toEqual([]);
    expect(issuesOf(() => build({ ...minimal, minimum_version: "9.0.0" }))[0]).toMatch(/^minimum_version: requires version 9.0.0/);
    expect(issuesOf(() => build({ ...minimal, minimum_version: "1.2.0" }))).toEqual([]);
  });

  it("resolves the version only when first asked", () => {
    let calls = 0;
    const config = build(minimal, { version: () => `v${++calls}` });
    expect(calls).toBe(0);
    expect([config.version, config.version]).toEqual(["v1", "v1"]);
  });
});
