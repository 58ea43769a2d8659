import { describe, expect, it } from "vitest";
import { accessoryMounts, makeAccessoryDirectories, runAccessory } from "../../src/commands/accessory.js";
import { auditLine, readAudit, recordAudit } from "../../src/commands/audit.js";
import { buildThenPush, buildxPush, createBuildxBuilder, platforms } from "../../src/commands/builder.js";
import { acquireLease, acquireLock, lockStatus, releaseLease, releaseLock, renewLease, takeOverLease } from "../../src/commands/lock.js";
import { pruneDanglingImages, pruneStoppedContainers, unusedImages } from "../../src/commands/prune.js";
import { registryLogin, registryLogout } from "../../src/commands/registry.js";
import { installDocker, isRoot } from "../../src/commands/server.js";
import { toShell } from "../../src/commands/shell.js";
import { runTraefik, startOrRunTraefik } from "../../src/commands/traefik.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });

describe("lock commands", () => {
  it("make the lock directory atomically and write base64 details", () => {
    expect(toShell(acquireLock(config, "Locked by: me\n"))).toBe(
      "mkdir -p .mrsk && mkdir .mrsk/lock-app && echo TG9ja2VkIGJ5OiBtZQo= > .mrsk/lock-app/details",
    );
    expect(toShell(lockStatus(config))).toBe(
      "stat .mrsk/lock-app >/dev/null 2>&1 && date +%s && ( stat -c '%Y %n' .mrsk/lock-app/* 2>/dev/null ; cat .mrsk/lock-app/details | base64 -d ; true )",
    );
    expect(toShell(releaseLock(config))).toBe("rm -rf .mrsk/lock-app");
  });

  it("hold a lease in the owner, ttl and heartbeat files, renewed, released and taken over only by their owner", () => {
    const lease = { token: "feedfacefeedface", ttlSeconds: 5 };
    expect(toShell(acquireLease(config, "Locked by: me\n", lease))).toBe(
      "mkdir -p .mrsk && mkdir .mrsk/lock-app && echo TG9ja2VkIGJ5OiBtZQo= > .mrsk/lock-app/details && touch .mrsk/lock-app/heartbeat .mrsk/lock-app/owner.feedfacefeedface .mrsk/lock-app/ttl.5",
    );
    expect(toShell(renewLease(config, lease.token))).toBe("test -e .mrsk/lock-app/owner.feedfacefeedface && touch .mrsk/lock-app/heartbeat");
    expect(toShell(releaseLease(config, lease.token))).toBe("test -e .mrsk/lock-app/owner.feedfacefeedface && rm -rf .mrsk/lock-app");
    expect(toShell(takeOverLease(config, "0123456789abcdef", "Locked by: me\n", lease, ["true"]))).toBe(
      "mv .mrsk/lock-app/owner.0123456789abcdef .mrsk/lock-app/owner.feedfacefeedface && rm -f .mrsk/lock-app/ttl.* && touch .mrsk/lock-app/heartbeat .mrsk/lock-app/ttl.5" +
        " && echo TG9ja2VkIGJ5OiBtZQo= > .mrsk/lock-app/details && true",
    );
  });
});

describe("audit commands", () => {
  it("append one tagged line per action", () => {
    const tags = { recordedAt: "2026-11-22T10:00:00Z", performer: "Jane Doe", destination: "staging", role: "web" };
    expect(auditLine(tags, "Booted app version 999")).toBe("[2026-11-22T10:00:00Z] [Jane Doe] [staging] [web] Booted app version 999");
    expect(toShell(recordAudit(config, { recordedAt: "t", performer: "me" }, "Pulled image with version 999"))).toBe(
      "mkdir -p .mrsk/app && echo '[t] [me] Pulled image with version 999' >> .mrsk/app/audit.log",
    );
    expect(toShell(readAudit(config))).toBe("tail -n 50 .mrsk/app/audit.log");
  });

  it("mask secret values in the line they record", () => {
    const redact = (text: string) => text.replaceAll("s3cr3t", "[REDACTED]");
    expect(toShell(recordAudit(config, { recordedAt: "t", performer: "me", redact }, "Executed cmd 'echo s3cr3t' on h1"))).toBe(
      "mkdir -p .mrsk/app && echo '[t] [me] Executed cmd '\\''echo [REDACTED]'\\'' on h1' >> .mrsk/app/audit.log",
    );
  });
});

describe("registry commands", () => {
  it("log in with the password on stdin", () => {
    expect(toShell(registryLogin(config.registry))).toBe("docker login --username user --password-stdin");
    const ghcr = configFrom(MRSK_MINIMAL.replace("username: user", "server: ghcr.io\n  username: user"), { env: MRSK_SECRETS });
    expect(toShell(registryLogin(ghcr.registry))).toBe("docker login ghcr.io --username user --password-stdin");
    expect(toShell(registryLogout(ghcr.registry))).toBe("docker logout ghcr.io");
  });
});

describe("builder commands", () => {
  it("build both MRSK platforms with buildx and push", () => {
    expect(toShell(buildxPush(config, "999"))).toBe(
      "docker buildx build --push --platform linux/amd64,linux/arm64 --builder mrsk-app-multiarch -t dhh/app:999 -t dhh/app:latest --label service=app --file Dockerfile .",
    );
    expect(toShell(createBuildxBuilder(config))).toBe("docker buildx create --use --name mrsk-app-multiarch");
  });

  it("build natively then push both tags without buildx", () => {
    const c = configFrom(`${MRSK_MINIMAL}builder:\n  multiarch: false\n  args:\n    RUBY_VERSION: 3.2.0\n  secrets: [GITHUB_TOKEN]\n  dockerfile: Dockerfile.production\n`, {
      env: MRSK_SECRETS,
    });
    expect(toShell(buildThenPush(c, "999"))).toBe(
      "docker build -t dhh/app:999 -t dhh/app:latest --label service=app --build-arg RUBY_VERSION=3.2.0 --secret id=GITHUB_TOKEN --file Dockerfile.production . && docker push dhh/app:999 && docker push dhh/app:latest",
    );
  });

  it("take Kamal 2's arch list", () => {
    const c = configFrom(`${MRSK_MINIMAL}builder:\n  arch: [arm64]\n`, { env: MRSK_SECRETS });
    expect(platforms(c)).toEqual(["linux/arm64"]);
  });
});

describe("Traefik commands", () => {
  it("run Traefik with the Docker provider on the host port", () => {
    const c = configFrom(`${MRSK_MINIMAL}traefik:\n  host_port: 8080\n  args:\n    accesslog: true\n    accesslog.format: json\n  options:\n    publish: ["443:443"]\n`, {
      env: MRSK_SECRETS,
    });
    expect(toShell(runTraefik(c))).toBe(
      "docker run --name traefik --detach --restart unless-stopped --publish 8080:80 --volume /var/run/docker.sock:/var/run/docker.sock --log-opt max-size=10m --publish 443:443 traefik:v2.9 --providers.docker --log.level=DEBUG --accesslog=true --accesslog.format=json",
    );
    expect(toShell(startOrRunTraefik(c))).toMatch(/^docker container start traefik 2>\/dev\/null \|\| docker run --name traefik /);
  });
});

describe("prune commands", () => {
  it("keep the newest stopped containers and remove images no container uses", () => {
    expect(toShell(pruneStoppedContainers(config))).toBe(
      "docker ps --quiet --all --filter label=service=app --filter label=destination= --filter status=created --filter status=exited --filter status=dead | tail -n +6 | xargs --no-run-if-empty docker rm",
    );
    expect(toShell(pruneDanglingImages(config))).toBe("docker image prune --force --filter label=service=app");
    expect(unusedImages("a1 dhh/app:999\nb2 dhh/app:998\nc3 dhh/app:latest\nd4 dhh/app:<none>\n", "dhh/app:999\n")).toEqual(["dhh/app:998"]);
  });
});

describe("accessory commands", () => {
  const c = configFrom(
    `${MRSK_MINIMAL}accessories:
  db:
    image: mysql:8.0
    host: 1.1.1.3
    port: "127.0.0.1:3306:3306"
    env:
      clear: { MYSQL_ROOT_HOST: "%" }
      secret: [MYSQL_ROOT_PASSWORD]
    files:
      - config/mysql/production.cnf:/etc/mysql/my.cnf
    directories:
      - data:/var/lib/mysql
    options:
      memory: 2g
`,
    { env: { ...MRSK_SECRETS, MYSQL_ROOT_PASSWORD: "root-pw" } },
  );
  const db = c.accessory("db")!;

  it("run the accessory with its files and directories mounted from its directory", () => {
    expect(toShell(runAccessory(c, db))).toBe(
      [
        "docker run --name app-db --detach --restart unless-stopped --log-opt max-size=10m --publish 127.0.0.1:3306:3306",
        "--env MYSQL_ROOT_HOST=% --env-file .mrsk/app/env/accessories/db.env",
        '--volume "${PWD}/app-db/etc/mysql/my.cnf:/etc/mysql/my.cnf" --volume "${PWD}/app-db/data:/var/lib/mysql"',
        "--label service=app-db --memory 2g mysql:8.0",
      ].join(" "),
    );
    expect(accessoryMounts(db)).toHaveLength(4);
    expect(toShell(makeAccessoryDirectories(db))).toBe("mkdir -p app-db app-db/etc/mysql app-db/data");
  });
});

describe("server commands", () => {
  it("install Docker with its script, with curl or wget", () => {
    expect(toShell(installDocker())).toBe("( curl -fsSL https://get.docker.com || wget -qO- https://get.docker.com ) | sh");
    expect(toShell(isRoot())).toBe('test "$(id -u)" -eq 0');
  });
});
