import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

// Names and paths from the configuration or the command line never widen what a command
// touches: a name is a name (never a path), and host paths do not climb out with "..".

function loadError(deploy: string, options: { destination?: string } = {}): string {
  try {
    configFrom(deploy, { ...options, env: MRSK_SECRETS });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the configuration loaded");
}

describe("destination names", () => {
  it.each(["x/../../evil", "../evil", "a.b", "a b", ""])("refuses -d %j before reading any file", (destination) => {
    const cwd = mkdtempSync(join(tmpdir(), "mrsk-names-"));
    try {
      mkdirSync(join(cwd, "config"));
      writeFileSync(join(cwd, "config/deploy.yml"), MRSK_MINIMAL);
      // The file a path-like destination would reach: it must not be read.
      writeFileSync(join(cwd, "evil.yml"), "service: evil\n");
      expect(() => loadConfig({ cwd, destination, env: { ...MRSK_SECRETS }, toolVersion: "test" })).toThrow(
        `-d/--destination should only contain letters, digits, "-" and "_", got ${JSON.stringify(destination)}`,
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("refuses a destination that reads as a flag", () => {
    expect(loadError(MRSK_MINIMAL, { destination: "-rf" })).toBe('-d/--destination should not start with "-", got "-rf"');
  });

  it("accepts ordinary destination names", () => {
    const config = configFrom({ deploy: MRSK_MINIMAL, files: { "config/deploy.stag_ing-2.yml": "servers: [2.2.2.2]\n" } }, { destination: "stag_ing-2", env: MRSK_SECRETS });
    expect(config.appDirectory).toBe(".mrsk/app-stag_ing-2");
  });
});

describe("role and accessory names", () => {
  it("refuses a role name that is not a name", () => {
    const deploy = MRSK_MINIMAL.replace("servers:\n  - 1.1.1.1\n  - 1.1.1.2", "servers:\n  ../web: [1.1.1.1]\n  'a b': [1.1.1.2]");
    const message = loadError(deploy);
    expect(message).toContain('servers.../web: should only contain letters, digits, "-" and "_", got "../web"');
    expect(message).toContain('servers.a b: should only contain letters, digits, "-" and "_", got "a b"');
  });

  it("refuses an accessory name that would name a path", () => {
    const message = loadError(`${MRSK_MINIMAL}accessories:\n  ../../db: { image: mysql, host: 1.1.1.1 }\n`);
    expect(message).toContain('accessories.../../db: should only contain letters, digits, "-" and "_", got "../../db"');
  });

  it("refuses a service name starting with -", () => {
    expect(loadError(MRSK_MINIMAL.replace("service: app", "service: -app"))).toContain('service: should not start with "-", got "-app"');
  });
});

describe("host paths from the configuration", () => {
  const withDb = (body: string): string => `${MRSK_MINIMAL}accessories:\n  db:\n    image: mysql\n    host: 1.1.1.1\n${body}`;

  it.each([
    ["    files:\n      - config/my.cnf:../../.ssh/authorized_keys\n", "accessories.db.files[0]", "../../.ssh/authorized_keys"],
    ["    files:\n      - { local: config/my.cnf, remote: /etc/../../x }\n", "accessories.db.files[0]", "/etc/../../x"],
    ["    directories:\n      - ../other-app:/var/lib/mysql\n", "accessories.db.directories[0]", "../other-app"],
    ["    directories:\n      - { local: data/../../x, remote: /data }\n", "accessories.db.directories[0]", "data/../../x"],
    ["    volumes:\n      - /var/../etc:/etc2\n", "accessories.db.volumes[0]", "/var/../etc"],
  ])("refuses a .. segment, naming the key", (body, key, path) => {
    expect(loadError(withDb(body))).toContain(`${key}: the host path ${JSON.stringify(path)} has a ".." segment`);
  });

  it("refuses a .. segment in the app's volumes", () => {
    expect(loadError(`${MRSK_MINIMAL}volumes:\n  - ../data:/data\n`)).toContain('volumes[0]: the host path "../data" has a ".." segment');
  });

  it("keeps relative and absolute paths without ..", () => {
    const config = configFrom(
      withDb("    files:\n      - config/my.cnf:/etc/mysql/my.cnf\n    directories:\n      - data:/var/lib/mysql\n      - /srv/backups:/backups\n    volumes:\n      - /var/log/db..old:/logs\n"),
      { env: MRSK_SECRETS },
    );
    expect(config.accessories[0]?.directories.map((d) => d.host)).toEqual(["data", "/srv/backups"]);
  });
});

describe("values that would read as options", () => {
  const refused = 'should not start with "-", got';

  it.each([
    ["builder:\n  context: --privileged\n", "builder.context"],
    ["builder:\n  dockerfile: -f\n", "builder.dockerfile"],
    ["builder:\n  target: --output=/tmp\n", "builder.target"],
    ["builder:\n  remote: --help\n", "builder.remote"],
    ["ssh:\n  user: -oProxyCommand=id\n", "ssh.user"],
    ["ssh:\n  proxy: -J\n", "ssh.proxy"],
    ["traefik:\n  image: --privileged\n", "traefik.image"],
    ["accessories:\n  db: { image: --privileged, host: 1.1.1.1 }\n", "accessories.db.image"],
    ["accessories:\n  db: { image: mysql, host: -h }\n", "accessories.db.host"],
  ])("refuses %j", (extra, key) => {
    expect(loadError(`${MRSK_MINIMAL}${extra}`)).toContain(`${key}: ${refused}`);
  });

  it("refuses a host, a tagged host, an image and a registry server that start with -", () => {
    expect(loadError(MRSK_MINIMAL.replace("  - 1.1.1.2", "  - -oProxyCommand=id"))).toContain(`servers[1]: ${refused} "-oProxyCommand=id"`);
    expect(loadError(MRSK_MINIMAL.replace("  - 1.1.1.2", "  - -x: canary"))).toContain(`servers[1].-x: ${refused} "-x"`);
    expect(loadError(MRSK_MINIMAL.replace("image: dhh/app", "image: --privileged"))).toContain(`image: ${refused} "--privileged"`);
    expect(loadError(MRSK_MINIMAL.replace("  username: user", "  server: --tls\n  username: user"))).toContain(`registry.server: ${refused} "--tls"`);
  });

  it("keeps values with a - inside", () => {
    expect(() => configFrom(`${MRSK_MINIMAL}builder:\n  context: ./app-dir\n  dockerfile: Dockerfile-prod\n`, { env: MRSK_SECRETS })).not.toThrow();
  });
});
