import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  bootAccessory,
  execAccessory,
  rebootAccessory,
  removeAccessory,
  restartAccessory,
  showAccessoryDetails,
  showAccessoryLogs,
  startAccessoryCommand,
  stopAccessoryCommand,
} from "../../src/flows/accessory-commands.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { audit, commandsOn, LOCK, operateContext, results, UNLOCK } from "../support/operate.js";

// Every remote command of `mrsk accessory …`, per host.

const ACCESSORIES = `${MRSK_MINIMAL}accessories:
  db:
    image: mysql:8.0
    host: 1.1.1.3
    port: 3306
    env:
      clear:
        MYSQL_DATABASE: app
      secret:
        - MYSQL_ROOT_PASSWORD
    files:
      - config/init.sql.erb:/docker-entrypoint-initdb.d/init.sql
    directories:
      - data:/var/lib/mysql
      - /srv/backups:/backups
    volumes:
      - db-logs:/var/log/mysql
  cache:
    image: redis:7
    hosts:
      - 1.1.1.3
      - 1.1.1.4
`;
const config = configFrom(ACCESSORIES, { env: { ...MRSK_SECRETS, MYSQL_ROOT_PASSWORD: "root-pw-value" } });
const project = mkdtempSync(join(tmpdir(), "mrsk-accessory-"));
mkdirSync(join(project, "config"));
writeFileSync(join(project, "config/init.sql.erb"), "CREATE USER app IDENTIFIED BY '<%= ENV[\"MYSQL_ROOT_PASSWORD\"] %>';\n");
afterAll(() => rmSync(project, { recursive: true, force: true }));

const RUN_DB =
  'docker run --name app-db --detach --restart unless-stopped --log-opt max-size=10m --publish 3306:3306 --env MYSQL_DATABASE=app --env-file .mrsk/app/env/accessories/db.env --volume db-logs:/var/log/mysql --volume "${PWD}/app-db/docker-entrypoint-initdb.d/init.sql:/docker-entrypoint-initdb.d/init.sql" --volume "${PWD}/app-db/data:/var/lib/mysql" --volume /srv/backups:/backups --label service=app-db mysql:8.0';
const BOOT_DB = [
  "docker container inspect --format '{{.State.Status}}' app-db",
  "mkdir -p app-db app-db/docker-entrypoint-initdb.d app-db/data /srv/backups",
  "upload app-db/docker-entrypoint-initdb.d/init.sql (mode 600)",
  "mkdir -p .mrsk/app/env/accessories",
  "upload .mrsk/app/env/accessories/db.env (mode 600)",
  audit("Booted db accessory"),
  RUN_DB,
];
// The lock lives on the primary app host, which these commands reach first.
const LOCKED = (lines: string[]): string[] => [LOCK, ...lines, UNLOCK];

describe("accessory boot and reboot", () => {
  it("boot uploads files (ERB rendered) and the env file, then runs the container, under the lock", async () => {
    const ctx = operateContext(config, {}, { cwd: project });
    await bootAccessory(ctx, "db");
    expect(commandsOn(ctx, "1.1.1.3")).toEqual(BOOT_DB);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual(LOCKED([]));
    expect(JSON.stringify(ctx.events)).not.toContain("root-pw-value");
  });

  it("boot leaves an accessory that exists alone", async () => {
    const ctx = operateContext(config, { "1.1.1.3": { accessories: { "app-db": "running" } } }, { cwd: project });
    await bootAccessory(ctx, "db");
    expect(commandsOn(ctx, "1.1.1.3")).toEqual(["docker container inspect --format '{{.State.Status}}' app-db"]);
  });

  it("reboot replaces the container and keeps its directory, files and volumes", async () => {
    const ctx = operateContext(config, {}, { cwd: project });
    await rebootAccessory(ctx, "db");
    expect(commandsOn(ctx, "1.1.1.3")).toEqual([
      `${audit("Rebooted db accessory")} && docker container stop app-db >/dev/null 2>&1 ; docker container rm app-db >/dev/null 2>&1 ; true`,
      ...BOOT_DB,
    ]);
    expect(commandsOn(ctx, "1.1.1.3").some((l) => l.includes("rm -rf"))).toBe(false);
  });

  it("all boots every accessory on the selected hosts", async () => {
    const ctx = operateContext(config, {}, { cwd: project, filters: { hosts: "1.1.1.4" } });
    await bootAccessory(ctx, "all");
    expect(commandsOn(ctx, "1.1.1.4")).toEqual([
      "docker container inspect --format '{{.State.Status}}' app-cache",
      "mkdir -p app-cache",
      audit("Booted cache accessory"),
      "docker run --name app-cache --detach --restart unless-stopped --log-opt max-size=10m --label service=app-cache redis:7",
    ]);
    expect(commandsOn(ctx, "1.1.1.3")).toEqual([]);
  });

  it("refuses an accessory the host filters exclude, and an unknown one", async () => {
    await expect(bootAccessory(operateContext(config, {}, { filters: { hosts: "1.1.1.4" } }), "db")).rejects.toThrow("No selected host runs accessory db (db on 1.1.1.3)");
    await expect(bootAccessory(operateContext(config), "postgres")).rejects.toMatchObject({ message: "No accessory named postgres", hint: "accessories are: db, cache" });
  });

  it("names a file to upload that is a directory, or missing, before anything runs on the host", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "mrsk-accessory-dir-"));
    try {
      mkdirSync(join(elsewhere, "config/init.sql.erb"), { recursive: true });
      const ctx = operateContext(config, {}, { cwd: elsewhere });
      await expect(bootAccessory(ctx, "db")).rejects.toThrow("accessories.db.files: config/init.sql.erb is a directory, not a file");
      expect(commandsOn(ctx, "1.1.1.3").filter((c) => c.startsWith("docker run"))).toEqual([]);
      await expect(bootAccessory(operateContext(config, {}, { cwd: join(elsewhere, "missing") }), "db")).rejects.toThrow("accessories.db.files: config/init.sql.erb does not exist");
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe("accessory start, stop, restart", () => {
  it("control the container on each of its hosts, audited, under the lock", async () => {
    const ctx = operateContext(config);
    await startAccessoryCommand(ctx, "cache");
    await stopAccessoryCommand(ctx, "cache");
    await restartAccessory(ctx, "cache");
    expect(commandsOn(ctx, "1.1.1.4")).toEqual([
      `${audit("Started cache accessory")} && docker container start app-cache`,
      `${audit("Stopped cache accessory")} && docker container stop app-cache`,
      `${audit("Stopped cache accessory")} && docker container stop app-cache`,
      `${audit("Started cache accessory")} && docker container start app-cache`,
    ]);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, UNLOCK, LOCK, UNLOCK, LOCK, UNLOCK]);
  });
});

describe("accessory details and logs", () => {
  it("show each accessory's container on its hosts, labelled with `all`", async () => {
    const ctx = operateContext(config);
    await showAccessoryDetails(ctx, "all");
    expect(commandsOn(ctx, "1.1.1.3")).toEqual(["docker ps --filter label=service=app-db", "docker ps --filter label=service=app-cache"]);
    expect(results(ctx).map((r) => r.replace(/: $/, ""))).toEqual(["[1.1.1.3] db", "[1.1.1.3] cache", "[1.1.1.4] cache"]);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([]);
  });

  it("logs reads the container's log on each host", async () => {
    const ctx = operateContext(config);
    await showAccessoryLogs(ctx, "cache", { lines: 5, grep: "ready" });
    expect(commandsOn(ctx, "1.1.1.4")).toEqual(["docker logs --timestamps --tail 5 app-cache 2>&1 | grep -e ready"]);
  });
});

describe("accessory exec", () => {
  it("runs in a new container of the image with the accessory's env and mounts", async () => {
    const ctx = operateContext(config);
    await execAccessory(ctx, "db", { line: "mysqldump app", reuse: false, interactive: false, env: {} });
    expect(commandsOn(ctx, "1.1.1.3")).toEqual([
      "mkdir -p .mrsk/app/env/accessories",
      "upload .mrsk/app/env/accessories/db.env (mode 600)",
      audit("Executed cmd 'mysqldump app' on db accessory"),
      'docker run --rm --env MYSQL_DATABASE=app --env-file .mrsk/app/env/accessories/db.env --volume db-logs:/var/log/mysql --volume "${PWD}/app-db/docker-entrypoint-initdb.d/init.sql:/docker-entrypoint-initdb.d/init.sql" --volume "${PWD}/app-db/data:/var/lib/mysql" --volume /srv/backups:/backups mysql:8.0 mysqldump app',
    ]);
  });

  it("runs in the running container with --reuse, with extra variables", async () => {
    const ctx = operateContext(config);
    await execAccessory(ctx, "cache", { line: "redis-cli info", reuse: true, interactive: false, env: { A: "1" } });
    for (const host of ["1.1.1.3", "1.1.1.4"]) expect(commandsOn(ctx, host)).toEqual([audit("Executed cmd 'redis-cli info' on cache accessory"), "docker exec --env A=1 app-cache redis-cli info"]);
  });
});

describe("accessory remove", () => {
  it("says what it deletes and keeps, and removes container, image, directory and env file", async () => {
    const ctx = operateContext(config);
    await removeAccessory(ctx, "db", { yes: true });
    expect(results(ctx)[0]).toBe(
      [
        "Removing accessory db deletes, on 1.1.1.3:",
        "    container app-db (with its anonymous volumes)",
        "    image mysql:8.0 (unless another container uses it)",
        "    directory ~/app-db (with app-db/docker-entrypoint-initdb.d/init.sql, app-db/data)",
        "    env file .mrsk/app/env/accessories/db.env",
        "  and keeps volume db-logs, directory /srv/backups",
      ].join("\n"),
    );
    expect(commandsOn(ctx, "1.1.1.3")).toEqual([
      audit("Removed db accessory"),
      "docker container stop app-db >/dev/null 2>&1 ; docker container rm --volumes app-db",
      "docker image rm mysql:8.0",
      "rm -rf app-db .mrsk/app/env/accessories/db.env",
    ]);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual(LOCKED([]));
  });

  it("asks first, and removes nothing without an answer", async () => {
    const ctx = operateContext(config);
    await expect(removeAccessory(ctx, "db", { yes: false, prompt: async () => undefined })).rejects.toThrow("Nothing was removed: there is no terminal to confirm on");
    expect(commandsOn(ctx, "1.1.1.3")).toEqual([]);
  });
});
