import { describe, expect, it } from "vitest";
import {
  execInAccessory,
  removeAccessoryContainer,
  removeAccessoryContainerIfAny,
  removeAccessoryFiles,
  removeAccessoryImage,
  runAccessoryOnce,
  accessoryDetails,
  startAccessory,
  stopAccessory,
} from "../../src/commands/accessory.js";
import {
  containerLogs,
  execInContainer,
  listAppImageRefs,
  listAppImages,
  listImageIdsAndTags,
  listRoleContainers,
  namedContainerDetails,
  oneOffContainer,
  pruneAppImages,
  pruneRoleContainers,
  roleDetails,
  runningFromLatestImage,
  stopRoleContainers,
} from "../../src/commands/app.js";
import { listContainerImages, otherServicesUsingRegistry, registryOf } from "../../src/commands/registry.js";
import { removePaths } from "../../src/commands/server.js";
import { toShell } from "../../src/commands/shell.js";
import {
  containersOfOthersUsingTraefik,
  listLabelledContainers,
  rebootTraefik,
  removeTraefikContainer,
  removeTraefikImage,
} from "../../src/commands/traefik.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

// The exact line of every builder the operating commands (app, accessory, traefik, remove) use.

const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
const web = config.primaryRole;
const staging = configFrom({ deploy: MRSK_MINIMAL, files: { "config/deploy.staging.yml": "servers:\n  - 2.2.2.2\n" } }, { env: MRSK_SECRETS, destination: "staging" });

describe("app builders", () => {
  it("show a role's running containers, all its containers, and the app's images", () => {
    expect(toShell(roleDetails(config, web))).toBe("docker ps --filter label=service=app --filter label=destination= --filter label=role=web");
    expect(toShell(listRoleContainers(config, web))).toBe("docker container ls --all --filter label=service=app --filter label=destination= --filter label=role=web");
    expect(toShell(listAppImages(config))).toBe("docker image ls dhh/app");
    expect(toShell(listImageIdsAndTags(config))).toBe("docker image ls dhh/app --format '{{.ID}} {{.Tag}}'");
    expect(toShell(listAppImageRefs(config))).toBe("docker image ls dhh/app --format '{{.Repository}}:{{.Tag}}'");
    expect(toShell(namedContainerDetails("traefik"))).toBe("docker ps --filter 'name=^traefik$'");
  });

  it("find the running containers made from the image the latest tag points to", () => {
    expect(toShell(runningFromLatestImage(config))).toBe(
      "docker ps --filter label=service=app --filter label=destination= --filter status=running --filter status=restarting --filter ancestor=dhh/app:latest --format '{{.Names}}'",
    );
    expect(toShell(runningFromLatestImage(staging))).toContain("--filter label=destination=staging --filter status=running --filter status=restarting --filter ancestor=dhh/app:latest-staging ");
  });

  it("stop every running container of a role, then prune the role's containers and the service's images", () => {
    expect(toShell(stopRoleContainers(config, web, undefined))).toBe(
      "docker ps --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting | xargs --no-run-if-empty docker stop",
    );
    expect(toShell(stopRoleContainers(config, web, 30))).toMatch(/\| xargs --no-run-if-empty docker stop -t 30$/);
    expect(toShell(pruneRoleContainers(config, web))).toBe("docker container prune --force --filter label=service=app --filter label=destination= --filter label=role=web");
    expect(toShell(pruneAppImages(config))).toBe("docker image prune --all --force --filter label=service=app");
  });

  it("show a container's log with timestamps, narrowed on the host", () => {
    expect(toShell(containerLogs("app-web-999", { lines: 100 }))).toBe("docker logs --timestamps --tail 100 app-web-999 2>&1");
    expect(toShell(containerLogs("app-web-999", { since: "42m", grep: "GET /up" }))).toBe("docker logs --timestamps --since 42m app-web-999 2>&1 | grep -e 'GET /up'");
    expect(toShell(containerLogs("app-web-999", { lines: 10, follow: true, grep: "req-1" }))).toBe(
      "docker logs --timestamps --tail 10 --follow app-web-999 2>&1 | grep --line-buffered -e req-1",
    );
  });

  it("run a one-off container with the role's env, then the given variables, interactive or not", () => {
    expect(toShell(oneOffContainer(config, web, "1.1.1.1", "999", "bin/rails console", { interactive: true, env: { RAILS_ENV: "development" } }))).toBe(
      "docker run --rm -it --env MRSK_CONTAINER_NAME=app-web-999 --env MRSK_VERSION=999 --env MRSK_HOST=1.1.1.1 --env RAILS_ENV=production --env-file .mrsk/app/env/roles/web.env --env RAILS_ENV=development dhh/app:999 bin/rails console",
    );
  });

  it("run in the running container, with extra variables", () => {
    expect(toShell(execInContainer("app-web-999", "bin/rails console", true, { A: "1 2" }))).toBe("docker exec -it --env 'A=1 2' app-web-999 bin/rails console");
    expect(toShell(execInContainer("app-web-999", "env", false))).toBe("docker exec app-web-999 env");
  });
});

describe("accessory builders", () => {
  const c = configFrom(
    `${MRSK_MINIMAL}accessories:
  db:
    image: mysql:8.0
    host: 1.1.1.3
    env:
      clear: { MYSQL_ROOT_HOST: "%" }
      secret: [MYSQL_ROOT_PASSWORD]
    files:
      - config/my.cnf:/etc/mysql/my.cnf
    directories:
      - data:/var/lib/mysql
    volumes:
      - backups:/backups
`,
    { env: { ...MRSK_SECRETS, MYSQL_ROOT_PASSWORD: "root-pw" } },
  );
  const db = c.accessory("db")!;

  it("show, start and stop the container by its service name", () => {
    expect(toShell(accessoryDetails(db))).toBe("docker ps --filter label=service=app-db");
    expect(toShell(startAccessory(db))).toBe("docker container start app-db");
    expect(toShell(stopAccessory(db))).toBe("docker container stop app-db");
  });

  it("replace the container keeping data, or remove it with its anonymous volumes, its image and its directory", () => {
    expect(toShell(removeAccessoryContainerIfAny(db))).toBe("docker container stop app-db >/dev/null 2>&1 ; docker container rm app-db >/dev/null 2>&1 ; true");
    expect(toShell(removeAccessoryContainer(db))).toBe("docker container stop app-db >/dev/null 2>&1 ; docker container rm --volumes app-db");
    expect(toShell(removeAccessoryImage(db))).toBe("docker image rm mysql:8.0");
    expect(toShell(removeAccessoryFiles(c, db))).toBe("rm -rf app-db .mrsk/app/env/accessories/db.env");
  });

  it("run commands in the running container or in a new one with the accessory's env and mounts", () => {
    expect(toShell(execInAccessory(db, "mysql -e 'show databases'", { interactive: true }))).toBe("docker exec -it app-db mysql -e 'show databases'");
    expect(toShell(runAccessoryOnce(c, db, "mysqldump --all-databases", { env: { TZ: "UTC" } }))).toBe(
      [
        "docker run --rm --env MYSQL_ROOT_HOST=% --env-file .mrsk/app/env/accessories/db.env --env TZ=UTC",
        '--volume backups:/backups --volume "${PWD}/app-db/etc/mysql/my.cnf:/etc/mysql/my.cnf" --volume "${PWD}/app-db/data:/var/lib/mysql"',
        "mysql:8.0 mysqldump --all-databases",
      ].join(" "),
    );
  });
});

describe("Traefik builders", () => {
  it("reboot and remove the container, and remove its image", () => {
    expect(toShell(rebootTraefik(config))).toBe(
      "docker container stop traefik >/dev/null 2>&1 ; docker container rm traefik >/dev/null 2>&1 ; docker run --name traefik --detach --restart unless-stopped --publish 80:80 --volume /var/run/docker.sock:/var/run/docker.sock --log-opt max-size=10m traefik:v2.9 --providers.docker --log.level=DEBUG",
    );
    expect(toShell(removeTraefikContainer())).toBe("docker container stop traefik >/dev/null 2>&1 ; docker container rm traefik >/dev/null 2>&1 ; true");
    expect(toShell(removeTraefikImage(config))).toBe("docker image rm traefik:v2.9");
    expect(toShell(listLabelledContainers())).toBe(`docker ps --all --format '{{.Names}}\t{{.Label "service"}}\t{{.Label "destination"}}\t{{.Labels}}'`);
  });

  it("find containers of other services (or destinations) that Traefik routes to", () => {
    const ps = [
      "traefik\t\t\ttraefik.http.routers.dashboard.rule=Host(`t`)",
      "app-web-999\tapp\t\tservice=app,role=web,traefik.http.routers.app-web.rule=PathPrefix(`/`)",
      "blog-web-1\tblog\t\trole=web,service=blog,traefik.http.routers.blog-web.rule=Host(`a`,`b`)",
      "app-web-staging-3\tapp\tstaging\tservice=app,destination=staging,traefik.http.routers.app-web-staging.rule=PathPrefix(`/`)",
      "blog-jobs-1\tblog\t\trole=jobs,service=blog",
      "postgres\t\t\tmaintainer=someone",
    ].join("\n");
    expect(containersOfOthersUsingTraefik(config, ps)).toEqual(["blog-web-1", "app-web-staging-3"]);
  });
});

describe("registry builders", () => {
  it("tell which registry an image comes from, and which other services use the configured one", () => {
    expect([registryOf("redis:7"), registryOf("me/app:1"), registryOf("ghcr.io/me/app:1"), registryOf("10.0.0.1:5000/app"), registryOf("localhost/app")]).toEqual([
      "docker.io",
      "docker.io",
      "ghcr.io",
      "10.0.0.1:5000",
      "localhost",
    ]);
    expect(toShell(listContainerImages())).toBe(`docker ps --all --format '{{.Image}}\t{{.Label "service"}}\t{{.Label "destination"}}\t{{.Names}}'`);
    const ps = ["dhh/app:999\tapp\t\tapp-web-999", "redis:7\tblog-cache\t\tblog-cache", "ghcr.io/x/y:1\tz\t\tz", "nginx:1\t\t\tweb-server"].join("\n");
    expect(otherServicesUsingRegistry(config, ps)).toEqual(["blog-cache", "nginx:1"]);
    // mrsk's own proxies (no service label) never hold the login; a labelled or renamed one does.
    const proxies = ["traefik:v2.9\t\t\ttraefik", "caddy:2\t\t\tmrsk-proxy", "traefik:v2.9\tother\t\ttraefik", "traefik:v3\t\t\tmy-traefik"].join("\n");
    expect(otherServicesUsingRegistry(config, proxies)).toEqual(["other", "traefik:v3"]);
  });
});

describe("server builders", () => {
  it("remove paths recursively", () => {
    expect(toShell(removePaths([".mrsk/app", "app-db"]))).toBe("rm -rf .mrsk/app app-db");
  });
});
