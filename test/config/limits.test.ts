import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { detectEra, validateShape } from "../../src/config/schema.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

// Inputs are bounded: numbers in range in every section.

const base = { service: "app", image: "user/app", servers: ["1.1.1.1"], registry: { username: "u", password: "p" } };

function problems(doc: Record<string, unknown>): string[] {
  const full = { ...base, ...doc };
  return validateShape(full, { era: detectEra(full), fileOf: () => "config/deploy.yml" }).issues.map((i) => `${i.path}: ${i.message}`);
}

describe("range checks", () => {
  it.each([
    [{ ssh: { port: 0 } }, "ssh.port: should be between 1 and 65535, got 0"],
    [{ ssh: { port: "65536" } }, "ssh.port: should be between 1 and 65535, got 65536"],
    [{ traefik: { host_port: -80 } }, "traefik.host_port: should be between 1 and 65535, got -80"],
    [{ healthcheck: { port: 70000 } }, "healthcheck.port: should be between 1 and 65535, got 70000"],
    [{ healthcheck: { exposed_port: 0 } }, "healthcheck.exposed_port: should be between 1 and 65535, got 0"],
    [{ healthcheck: { max_attempts: -1 } }, "healthcheck.max_attempts: should not be negative, got -1"],
    [{ healthcheck: { log_lines: -5 } }, "healthcheck.log_lines: should not be negative, got -5"],
    [{ proxy: { app_port: 99999 } }, "proxy.app_port: should be between 1 and 65535, got 99999"],
    [{ proxy: { response_timeout: -1 } }, "proxy.response_timeout: should not be negative, got -1"],
    [{ proxy: { healthcheck: { interval: -1, timeout: -2 } } }, "proxy.healthcheck.interval: should not be negative, got -1"],
    [{ proxy: { buffering: { max_request_body: -1 } } }, "proxy.buffering.max_request_body: should not be negative, got -1"],
    [{ proxy: { run: { http_port: 0 } } }, "proxy.run.http_port: should be between 1 and 65535, got 0"],
    [{ proxy: { run: { metrics_port: 65536 } } }, "proxy.run.metrics_port: should be between 1 and 65535, got 65536"],
    [{ servers: { web: { hosts: ["1.1.1.1"], stop_timeout: -3 } } }, "servers.web.stop_timeout: should not be negative, got -3"],
    [{ servers: { web: { hosts: ["1.1.1.1"], proxy: { app_port: 0 } } } }, "servers.web.proxy.app_port: should be between 1 and 65535, got 0"],
    [{ sshkit: { max_concurrent_starts: -1 } }, "sshkit.max_concurrent_starts: should not be negative, got -1"],
    [{ sshkit: { pool_idle_timeout: -1 } }, "sshkit.pool_idle_timeout: should not be negative, got -1"],
    [{ boot: { wait: -2 } }, "boot.wait: should not be negative, got -2"],
    [{ stop_wait_time: -1 }, "stop_wait_time: should not be negative, got -1"],
    [{ readiness_delay: "-7" }, "readiness_delay: should not be negative, got -7"],
    [{ deploy_timeout: -30 }, "deploy_timeout: should not be negative, got -30"],
    [{ drain_timeout: -30 }, "drain_timeout: should not be negative, got -30"],
    [{ retain_containers: 0 }, "retain_containers: should be at least 1, got 0"],
    [{ accessories: { db: { image: "mysql", host: "1.1.1.1", port: "70000:3306" } } }, "accessories.db.port: port 70000 should be between 1 and 65535, in \"70000:3306\""],
    [{ accessories: { db: { image: "mysql", host: "1.1.1.1", port: "127.0.0.1:5432:0" } } }, "accessories.db.port: port 0 should be between 1 and 65535, in \"127.0.0.1:5432:0\""],
    [{ accessories: { db: { image: "mysql", host: "1.1.1.1", port: 0 } } }, "accessories.db.port: port 0 should be between 1 and 65535, in \"0\""],
  ])("refuses %j", (doc, message) => {
    expect(problems(doc)).toContain(message);
  });

  it("accepts the edges of each range", () => {
    expect(
      problems({
        ssh: { port: 65535 },
        traefik: { host_port: 1 },
        healthcheck: { max_attempts: 0, log_lines: 0 },
        stop_wait_time: 0,
        boot: { wait: 0 },
        accessories: { db: { image: "mysql", host: "1.1.1.1", port: "127.0.0.1:5432:5432/tcp" }, cache: { image: "redis", host: "1.1.1.1", port: "8000-8010:8000-8010" } },
      }),
    ).toEqual([]);
  });

  it("reports a range problem through the loader with the file and key", () => {
    expect(() => configFrom(`${MRSK_MINIMAL}ssh:\n  port: 0\n`, { env: MRSK_SECRETS })).toThrow("config/deploy.yml: ssh.port: should be between 1 and 65535, got 0");
  });
});

describe("a directory where a file is expected", () => {
  function loadWithDirectory(directory: string, options: { configFile?: string; destination?: string } = {}): string {
    const cwd = mkdtempSync(join(tmpdir(), "mrsk-dir-"));
    try {
      mkdirSync(join(cwd, "config"));
      writeFileSync(join(cwd, "config/deploy.yml"), MRSK_MINIMAL);
      writeFileSync(join(cwd, "config/deploy.staging.yml"), "");
      mkdirSync(join(cwd, directory), { recursive: true });
      loadConfig({ cwd, ...options, env: { ...MRSK_SECRETS }, toolVersion: "test" });
    } catch (error) {
      return (error as Error).message;
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
    throw new Error("the configuration loaded");
  }

  it.each([
    ["-c", "config/dir.yml", { configFile: "config/dir.yml" }],
    [".env", ".env", {}],
    [".env.<destination>", ".env.staging", { destination: "staging" }],
    [".kamal/secrets", ".kamal/secrets", {}],
    [".kamal/secrets-common", ".kamal/secrets-common", {}],
  ])("names the path given with %s", (_what, directory, options) => {
    expect(loadWithDirectory(directory, options)).toBe(`Invalid configuration\n  ${directory}: is a directory, not a file (give the path of a file)`);
  });

  it("names a destination overlay that is a directory", () => {
    const cwd = mkdtempSync(join(tmpdir(), "mrsk-dir-"));
    try {
      mkdirSync(join(cwd, "config/deploy.production.yml"), { recursive: true });
      writeFileSync(join(cwd, "config/deploy.yml"), MRSK_MINIMAL);
      expect(() => loadConfig({ cwd, destination: "production", env: { ...MRSK_SECRETS }, toolVersion: "test" })).toThrow(
        "config/deploy.production.yml: is a directory, not a file",
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
