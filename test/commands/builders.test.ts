import { MrskError } from "../../src/errors.js";
import { describe, expect, it } from "vitest";
import { accessoryMounts, makeAccessoryDirectories, runAccessory } from "../../src/commands/accessory.js";
import { auditLine, readAudit, recordAudit } from "../../src/commands/audit.js";
import {
  bootstrapBuilder,
  builderDetails,
  buildThenPush,
  buildxPush,
  contextEndpoint,
  createBuilder,
  currentDockerContext,
  machineArch,
  platforms,
  remoteDockerVersion,
  removeBuilder,
  resolveBuilder,
  validateImage,
} from "../../src/commands/builder.js";
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
      "stat .mrsk/lock-app >/dev/null 2>&1 && date +%s && cd .mrsk/lock-app && ( stat -c '%Y %n' * 2>/dev/null ; cat details | base64 -d ; true )",
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
      "mv .mrsk/lock-app/owner.0123456789abcdef .mrsk/lock-app/owner.feedfacefeedface && ( cd .mrsk/lock-app && rm -f ttl.* ) && touch .mrsk/lock-app/heartbeat .mrsk/lock-app/ttl.5" +
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
  const kamal = (builder: string) => configFrom(`${MRSK_MINIMAL}builder:\n${builder}`, { env: { ...MRSK_SECRETS, GITHUB_TOKEN: "gh" } });
  const onAmd64 = { hostArch: "amd64" };

  it("build both MRSK platforms with a docker-container builder and push", () => {
    const builder = resolveBuilder(config, onAmd64);
    expect(builder).toMatchObject({ driver: "docker-container", place: "local", name: "mrsk-app-multiarch", context: undefined });
    expect(toShell(buildxPush(config, builder, "999"))).toBe(
      "docker buildx build --push --platform linux/amd64,linux/arm64 --builder mrsk-app-multiarch -t dhh/app:999 -t dhh/app:latest --label service=app --file Dockerfile .",
    );
    expect(toShell(createBuilder(config, builder)!)).toBe("docker buildx create --name mrsk-app-multiarch --driver docker-container");
    expect(toShell(bootstrapBuilder(builder))).toBe("docker buildx inspect --bootstrap mrsk-app-multiarch");
    expect(toShell(removeBuilder(builder)!)).toBe("docker buildx rm mrsk-app-multiarch");
  });

  it("build natively then push both tags without buildx", () => {
    const c = configFrom(`${MRSK_MINIMAL}builder:\n  multiarch: false\n  args:\n    RUBY_VERSION: 3.2.0\n  dockerfile: Dockerfile.production\n`, { env: MRSK_SECRETS });
    expect(toShell(buildThenPush(c, "999"))).toBe(
      "docker build -t dhh/app:999 -t dhh/app:latest --label service=app --build-arg RUBY_VERSION=3.2.0 --file Dockerfile.production . && docker push dhh/app:999 && docker push dhh/app:latest",
    );
    expect(toShell(buildThenPush(c, "999", { noCache: true }))).toMatch(/ --file Dockerfile.production --no-cache \. && docker push/);
  });

  it("refuses builder.secrets without buildx: the classic docker build has no --secret env=", () => {
    const c = configFrom(`${MRSK_MINIMAL}builder:\n  multiarch: false\n  secrets: [GITHUB_TOKEN, NPM_TOKEN]\n`, {
      env: { ...MRSK_SECRETS, GITHUB_TOKEN: "gh", NPM_TOKEN: "npm" },
    });
    let refusal: unknown;
    try {
      buildThenPush(c, "999");
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(MrskError);
    expect(refusal).toMatchObject({
      message:
        "builder.secrets (GITHUB_TOKEN, NPM_TOKEN) needs the docker buildx plugin on this machine: `docker buildx version` fails, and the classic `docker build` cannot pass build secrets from the environment",
      hint: "install the buildx plugin (Debian: docker-buildx; Docker's packages: docker-buildx-plugin), or build without builder.secrets",
    });
  });


  it("take Kamal 2's arch list", () => {
    const c = configFrom(`${MRSK_MINIMAL}builder:\n  arch: [arm64]\n`, { env: MRSK_SECRETS });
    expect(platforms(c)).toEqual(["linux/arm64"]);
  });

  it("use the docker driver of the current Docker context, with every build option, and create nothing", () => {
    const c = kamal(
      "  arch: amd64\n  driver: docker\n  args:\n    VERSION: v1\n  secrets: [GITHUB_TOKEN]\n  dockerfile: web/Dockerfile\n  context: web\n  target: production\n  ssh: default\n",
    );
    const builder = resolveBuilder(c, { ...onAmd64, currentContext: "colima" });
    expect(builder).toMatchObject({ driver: "docker", place: "local", name: "colima", platforms: ["linux/amd64"] });
    expect(toShell(buildxPush(c, builder, "999", { noCache: true }))).toBe(
      "docker buildx build --push --platform linux/amd64 --builder colima -t dhh/app:999 -t dhh/app:latest --label service=app --build-arg VERSION=v1 " +
        "--secret id=GITHUB_TOKEN,env=GITHUB_TOKEN --file web/Dockerfile --target production --ssh default --no-cache web",
    );
    expect(createBuilder(c, builder)).toBeUndefined();
    expect(removeBuilder(builder)).toBeUndefined();
    expect(toShell(builderDetails(builder))).toBe("docker context ls ; docker buildx ls ; docker buildx inspect colima");
    expect(toShell(currentDockerContext())).toBe("docker context show");
  });

  it("build the daemon's own platform with the docker driver and no arch", () => {
    const builder = resolveBuilder(kamal("  driver: docker\n"), onAmd64);
    expect(builder).toMatchObject({ name: "default", platforms: [] });
    expect(toShell(buildxPush(kamal("  driver: docker\n"), builder, "999"))).toBe(
      "docker buildx build --push --builder default -t dhh/app:999 -t dhh/app:latest --label service=app --file Dockerfile .",
    );
  });

  it("give `cache` the inline meaning with the docker driver, and refuse what only another driver exports", () => {
    const c = kamal("  arch: amd64\n  driver: docker\n  cache:\n    type: registry\n");
    expect(toShell(buildxPush(c, resolveBuilder(c, onAmd64), "999"))).toBe(
      "docker buildx build --push --platform linux/amd64 --builder default -t dhh/app:999 -t dhh/app:latest --cache-to type=inline --cache-from type=registry,ref=dhh/app:latest --label service=app --file Dockerfile .",
    );
    expect(() => resolveBuilder(kamal("  arch: amd64\n  driver: docker\n  cache:\n    type: registry\n    options: mode=max\n"), onAmd64)).toThrow(
      /builder.cache: the docker driver exports a build cache only inline, into the pushed image; cache options needs the docker-container driver/,
    );
    expect(() => resolveBuilder(kamal("  arch: amd64\n  driver: docker\n  cache:\n    type: gha\n"), onAmd64)).toThrow(/cache type: gha needs the docker-container driver/);
    expect(() => resolveBuilder(kamal("  arch: amd64\n  driver: docker\n  cache:\n    type: registry\n    image: app-cache\n"), onAmd64)).toThrow(/cache image needs/);
  });

  it("keep Kamal's registry and gha caches for the docker-container driver", () => {
    const registry = kamal("  arch: amd64\n  cache:\n    type: registry\n    options: mode=max\n");
    expect(toShell(buildxPush(registry, resolveBuilder(registry, onAmd64), "999"))).toContain(
      "--cache-to type=registry,ref=dhh/app-build-cache,mode=max --cache-from type=registry,ref=dhh/app-build-cache --label",
    );
    const gha = kamal("  arch: amd64\n  cache:\n    type: gha\n    options: mode=max,scope=app\n");
    expect(toShell(buildxPush(gha, resolveBuilder(gha, onAmd64), "999"))).toContain("--cache-to type=gha,mode=max,scope=app --cache-from type=gha,scope=app --label");
  });

  it("refuse several platforms with the docker driver", () => {
    expect(() => resolveBuilder(kamal("  arch: [amd64, arm64]\n  driver: docker\n"), onAmd64)).toThrow(
      "builder: the docker driver builds for one platform, but linux/amd64, linux/arm64 were asked for",
    );
  });

  it("build with a remote daemon's own BuildKit through a Docker context over SSH", () => {
    const c = kamal("  arch: amd64\n  driver: docker\n  remote: ssh://root@10.0.0.5\n  local: false\n  cache:\n    type: registry\n");
    const builder = resolveBuilder(c, onAmd64);
    const context = "mrsk-app-remote-ssh---root-10-0-0-5-context";
    expect(builder).toMatchObject({ driver: "docker", place: "remote", name: context, context, remote: "ssh://root@10.0.0.5" });
    expect(toShell(buildxPush(c, builder, "999"))).toBe(
      `docker --context ${context} buildx build --push --platform linux/amd64 --builder ${context} -t dhh/app:999 -t dhh/app:latest ` +
        "--cache-to type=inline --cache-from type=registry,ref=dhh/app:latest --label service=app --file Dockerfile .",
    );
    expect(toShell(createBuilder(c, builder)!)).toBe(`docker context create ${context} --description 'mrsk app builder on ssh://root@10.0.0.5' --docker host=ssh://root@10.0.0.5`);
    expect(toShell(removeBuilder(builder)!)).toBe(`docker context rm ${context}`);
    expect(toShell(contextEndpoint(builder))).toBe(`docker context inspect ${context} --format '{{.Endpoints.docker.Host}}'`);
    expect(toShell(remoteDockerVersion(builder))).toBe(`docker --context ${context} version --format '{{.Server.Version}}'`);
    expect(toShell(builderDetails(builder))).toBe(`docker context ls ; docker buildx ls ; docker --context ${context} buildx inspect ${context}`);
  });

  it("build locally when the remote is not needed for the arch, as Kamal", () => {
    expect(resolveBuilder(kamal("  arch: amd64\n  driver: docker\n  remote: ssh://root@10.0.0.5\n"), onAmd64)).toMatchObject({ place: "local", name: "default", remote: undefined });
  });

  it("keep Kamal's docker-container builder on a remote, and the hybrid of both", () => {
    const remote = kamal("  arch: arm64\n  remote: ssh://root@arm\n");
    const builder = resolveBuilder(remote, onAmd64);
    expect(builder).toMatchObject({ driver: "docker-container", place: "remote", name: "mrsk-app-remote-ssh---root-arm", context: "mrsk-app-remote-ssh---root-arm-context" });
    expect(toShell(createBuilder(remote, builder)!)).toBe(
      "docker context create mrsk-app-remote-ssh---root-arm-context --description 'mrsk app builder on ssh://root@arm' --docker host=ssh://root@arm && " +
        "docker buildx create --name mrsk-app-remote-ssh---root-arm --driver docker-container mrsk-app-remote-ssh---root-arm-context",
    );
    expect(toShell(removeBuilder(builder)!)).toBe("docker buildx rm mrsk-app-remote-ssh---root-arm ; docker context rm mrsk-app-remote-ssh---root-arm-context");
    expect(toShell(buildxPush(remote, builder, "999"))).toMatch(/^docker buildx build --push --platform linux\/arm64 --builder mrsk-app-remote-ssh---root-arm -t/);

    const hybrid = kamal("  arch: [amd64, arm64]\n  remote: ssh://root@arm\n");
    const both = resolveBuilder(hybrid, onAmd64);
    expect(both).toMatchObject({ place: "hybrid", name: "mrsk-app-hybrid-ssh---root-arm", localPlatforms: ["linux/amd64"], remotePlatforms: ["linux/arm64"] });
    expect(toShell(createBuilder(hybrid, both)!)).toBe(
      "docker buildx create --platform linux/amd64 --name mrsk-app-hybrid-ssh---root-arm --driver docker-container && " +
        "docker context create mrsk-app-remote-ssh---root-arm-context --description 'mrsk app builder on ssh://root@arm' --docker host=ssh://root@arm && " +
        "docker buildx create --platform linux/arm64 --append --name mrsk-app-hybrid-ssh---root-arm mrsk-app-remote-ssh---root-arm-context",
    );
  });

  it("read MRSK's remote: {arch, host} as a remote builder of that arch", () => {
    const c = configFrom(`${MRSK_MINIMAL}builder:\n  remote:\n    arch: arm64\n    host: ssh://root@arm\n`, { env: MRSK_SECRETS });
    expect(resolveBuilder(c, onAmd64)).toMatchObject({ place: "remote", platforms: ["linux/arm64"], remote: "ssh://root@arm" });
  });

  it("share the host network for a registry on this machine, and name cloud builders as Kamal", () => {
    const local = configFrom(MRSK_MINIMAL.replace("registry:\n  username: user", "registry:\n  server: localhost:5555\n  username: user"), { env: MRSK_SECRETS });
    expect(toShell(createBuilder(local, resolveBuilder(local, onAmd64))!)).toBe("docker buildx create --name mrsk-app-multiarch --driver docker-container --driver-opt network=host");
    const cloud = kamal("  arch: amd64\n  driver: cloud acme/fast\n");
    const builder = resolveBuilder(cloud, onAmd64);
    expect(builder.name).toBe("cloud-acme-fast");
    expect(toShell(createBuilder(cloud, builder)!)).toBe("docker buildx create --driver 'cloud acme/fast'");
  });

  it("check the service label after a pull", () => {
    expect(toShell(validateImage(config, "999"))).toBe(
      "docker inspect -f '{{ .Config.Labels.service }}' dhh/app:999 | grep -qx app || ( echo 'Image dhh/app:999 is missing the '\\''service'\\'' label app' && exit 1 )",
    );
  });

  it("name this machine's architecture as Docker does", () => {
    expect(machineArch("x64")).toBe("amd64");
    expect(machineArch("arm64")).toBe("arm64");
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
