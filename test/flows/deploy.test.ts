import { describe, expect, it } from "vitest";
import type { Config } from "../../src/config/model.js";
import { BootError } from "../../src/flows/boot.js";
import { deploy, redeploy, rollback, setup } from "../../src/flows/deploy.js";
import { showAppVersions } from "../../src/flows/versions.js";
import type { MrskError } from "../../src/errors.js";
import { DryRunTransport } from "../../src/transport/dry-run.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { TestFlowContext } from "../support/flow-context.js";

// Every remote command of setup/deploy/redeploy/rollback for MRSK-style configs, recorded by a
// dry-run transport that answers the state queries the flows make.

const HOSTS = ["1.1.1.1", "1.1.1.2"];
const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
// Traefik applies changes without delay here, so tests need not wait its default 2 s throttle.
const fast = configFrom(`${MRSK_MINIMAL}traefik:\n  args:\n    providers.providersThrottleDuration: 0s\n`, { env: MRSK_SECRETS });

/** Makes lines comparable: times, random suffixes and the lock's base64 details. */
function normalize(line: string): string {
  return line
    .replace(/\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[[^\]]+\]/g, "[TIME] [USER]")
    .replace(/--hostname (\S+)-[0-9a-f]{12}/g, "--hostname $1-HEX")
    .replace(/_replaced_[0-9a-f]{16}/g, "_replaced_HEX")
    .replace(/echo [A-Za-z0-9+/=]{40,} > /, "echo DETAILS > ")
    .replace(/owner\.[0-9a-f]{16}/g, "owner.TOKEN");
}

interface HostState {
  /** `docker ps --all` rows: name, state, role. */
  containers?: Array<[string, string, string]>;
  /** Health per container name; "healthy" when absent. */
  health?: Record<string, string>;
  imageTags?: string[];
}

function context(cfg: Config, state: Record<string, HostState> = {}, options: ConstructorParameters<typeof TestFlowContext>[1] = {}) {
  const ctx = new TestFlowContext(cfg, { dryRun: false, ...options });
  const transport = ctx.transportImpl as DryRunTransport;
  for (const host of cfg.allHosts) {
    const s = state[host] ?? {};
    const rows = (s.containers ?? []).map(([name, st, role]) => `${name}\t${st}\t${role}\tdhh/app:x\t2026-01-01`).join("\n");
    transport.answer(host, (l) => l.includes("docker ps --all --filter label=service=app"), rows);
    transport.answer(host, (l) => l.startsWith("docker image ls dhh/app"), (s.imageTags ?? []).join("\n"));
    transport.answer(host, (l) => l.startsWith("docker inspect --format '{{.Name}}"), "");
    for (const name of ["app-web-999", "app-web-998", "app-jobs-999"]) {
      transport.answer(host, (l) => l.startsWith("docker inspect --format '{{.Name}}") && l.endsWith(` ${name}`), `/${name} ${s.health?.[name] ?? "healthy"}`);
    }
  }
  ctx.env.USER = "deployer";
  return ctx;
}

const commands = (ctx: TestFlowContext, host: string): string[] => ctx.commands(host).map(normalize);

const RUN_WEB_999 = (host: string) =>
  `docker run --detach --restart unless-stopped --name app-web-999 --hostname ${host}-HEX --env MRSK_CONTAINER_NAME=app-web-999 --env MRSK_VERSION=999 --env MRSK_HOST=${host} --env RAILS_ENV=production --env-file .mrsk/app/env/roles/web.env --health-cmd 'curl -fsS http://localhost:3000/up || exit 1' --health-interval 1s --log-opt max-size=10m --label service=app --label role=web --label destination= --label traefik.http.services.app-web.loadbalancer.server.scheme=http --label 'traefik.http.routers.app-web.rule=PathPrefix(\`/\`)' --label traefik.http.middlewares.app-web-retry.retry.attempts=5 --label traefik.http.middlewares.app-web-retry.retry.initialinterval=500ms --label traefik.http.routers.app-web.middlewares=app-web-retry@docker dhh/app:999`;
const WRITE_ENV = "umask 077 && : > .mrsk/app/env/roles/web.env && chmod 0600 .mrsk/app/env/roles/web.env && cat > .mrsk/app/env/roles/web.env && ";
const PS_ALL = `docker ps --all --filter label=service=app --filter label=destination= --format '{{.Names}}\t{{.State}}\t{{.Label "role"}}\t{{.Image}}\t{{.CreatedAt}}'`;
const DIAGNOSE = (name: string) => `docker inspect --format '{{json .State}} {{.RestartCount}}' ${name} ; docker logs --tail 30 ${name} 2>&1`;
const HEALTH = (name: string) => `docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}} {{.RestartCount}}' ${name}`;
const TRAEFIK =
  "docker container start traefik 2>/dev/null || docker run --name traefik --detach --restart unless-stopped --publish 80:80 --volume /var/run/docker.sock:/var/run/docker.sock --log-opt max-size=10m traefik:v2.9 --providers.docker --log.level=DEBUG";
const PRUNE = [
  "mkdir -p .mrsk/app && echo '[TIME] [USER] Pruned containers' >> .mrsk/app/audit.log ; docker ps --quiet --all --filter label=service=app --filter label=destination= --filter status=created --filter status=exited --filter status=dead | tail -n +6 | xargs --no-run-if-empty docker rm",
  "mkdir -p .mrsk/app && echo '[TIME] [USER] Pruned images' >> .mrsk/app/audit.log ; docker image prune --force --filter label=service=app",
  "docker image ls --filter label=service=app --format '{{.ID}} {{.Repository}}:{{.Tag}}'",
  "docker container ls --all --filter label=service=app --format '{{.Image}}'",
];
const running998: HostState = { containers: [["app-web-998", "running", "web"]] };

describe("deploy", () => {
  it("runs MRSK's sequence on the primary host: lock, login, pull, Traefik, boot with health gate, stop old, tag, prune, unlock", async () => {
    const ctx = context(config, { "1.1.1.1": running998, "1.1.1.2": running998 });
    await deploy(ctx, { skipPush: true });
    expect(commands(ctx, "1.1.1.1")).toEqual([
      "mkdir -p .mrsk && mkdir .mrsk/lock-app && echo DETAILS > .mrsk/lock-app/details && touch .mrsk/lock-app/heartbeat .mrsk/lock-app/owner.TOKEN .mrsk/lock-app/ttl.300",
      "docker login --username user --password-stdin",
      "mkdir -p .mrsk/app && echo '[TIME] [USER] Pulled image with version 999' >> .mrsk/app/audit.log && docker pull dhh/app:999",
      TRAEFIK,
      `mkdir -p .mrsk/app/env/roles ; ${PS_ALL}`,
      `${WRITE_ENV}mkdir -p .mrsk/app && echo '[TIME] [USER] [web] Booted app version 999' >> .mrsk/app/audit.log && ${RUN_WEB_999("1.1.1.1")}`,
      HEALTH("app-web-999"),
      "docker stop app-web-998",
      "mkdir -p .mrsk/app && echo '[TIME] [USER] Tagging dhh/app:999 as the latest image' >> .mrsk/app/audit.log && docker tag dhh/app:999 dhh/app:latest",
      ...PRUNE,
      "test -e .mrsk/lock-app/owner.TOKEN && rm -rf .mrsk/lock-app",
    ]);
    // The other host does the same, without the lock.
    expect(commands(ctx, "1.1.1.2")).toEqual(commands(ctx, "1.1.1.1").slice(1, -1).map((l) => l.replaceAll("1.1.1.1", "1.1.1.2")));
  });

  it("never puts a secret on a command line or in an event", async () => {
    const ctx = context(fast, { "1.1.1.1": running998 });
    await deploy(ctx, { skipPush: true });
    const everything = JSON.stringify(ctx.events) + HOSTS.flatMap((h) => ctx.commands(h)).join("\n");
    expect(everything).not.toContain("master-key-value");
    expect(everything).not.toContain("registry-pw-value");
  });

  it("builds and pushes locally unless --skip-push", async () => {
    const ctx = context(config);
    await deploy(ctx, { skipPush: false });
    expect(commands(ctx, "localhost")).toEqual([
      "docker login --username user --password-stdin",
      "docker --version",
      "docker buildx version",
      "docker buildx inspect --bootstrap mrsk-app-multiarch",
      "docker buildx build --push --platform linux/amd64,linux/arm64 --builder mrsk-app-multiarch -t dhh/app:999 -t dhh/app:latest --label service=app --file Dockerfile .",
    ]);
    // The image this deploy built must carry its service label on every host after the pull.
    expect(commands(ctx, "1.1.1.1")).toContainEqual(
      "mkdir -p .mrsk/app && echo '[TIME] [USER] Pulled image with version 999' >> .mrsk/app/audit.log && docker pull dhh/app:999 && " +
        "docker inspect -f '{{ .Config.Labels.service }}' dhh/app:999 | grep -qx app || ( echo 'Image dhh/app:999 is missing the '\\''service'\\'' label app' && exit 1 )",
    );
  });

  it("renames a container of the same version out of the way and stops it once the new one is healthy", async () => {
    const ctx = context(fast, { "1.1.1.1": { containers: [["app-web-999", "running", "web"]] } });
    await deploy(ctx, { skipPush: true });
    const lines = commands(ctx, "1.1.1.1");
    expect(lines).toContain(
      `${WRITE_ENV}docker rename app-web-999 app-web-999_replaced_HEX && mkdir -p .mrsk/app && echo '[TIME] [USER] [web] Booted app version 999' >> .mrsk/app/audit.log && ${RUN_WEB_999("1.1.1.1")}`,
    );
    expect(lines).toContain("docker stop app-web-999_replaced_HEX");
  });

  it("leaves every host on the old version and frees the lock when one host's new container is unhealthy", async () => {
    const ctx = context(config, { "1.1.1.1": running998, "1.1.1.2": { ...running998, health: { "app-web-999": "unhealthy" } } });
    const error = await deploy(ctx, { skipPush: true }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^app-web-999 on 1\.1\.1\.2 did not become healthy \(unhealthy\); every host stays on the previous version/);
    for (const host of HOSTS) {
      const lines = commands(ctx, host);
      expect(lines).not.toContain("docker stop app-web-998");
      expect(lines).toContain("docker start app-web-998 ; docker rm --force app-web-999");
      expect(lines.some((l) => l.includes("docker tag"))).toBe(false);
    }
    expect(commands(ctx, "1.1.1.2")).toContain(DIAGNOSE("app-web-999"));
    expect(commands(ctx, "1.1.1.1").at(-1)).toBe("test -e .mrsk/lock-app/owner.TOKEN && rm -rf .mrsk/lock-app");
  });

  it("shows, for each failing host, the container's state, Docker's health checks and its last 30 log lines (masked), read in one command per container", async () => {
    const ctx = context(config, { "1.1.1.1": { ...running998, health: { "app-web-999": "unhealthy" } }, "1.1.1.2": { ...running998, health: { "app-web-999": "exited" } } });
    const transport = ctx.transportImpl as DryRunTransport;
    const unhealthy = {
      Status: "running",
      ExitCode: 0,
      OOMKilled: false,
      Error: "",
      Health: { Status: "unhealthy", FailingStreak: 3, Log: [{ Start: "2026-12-08T00:00:01.5Z", ExitCode: 22, Output: "curl: (22) The requested URL returned error: 404\n" }] },
    };
    const oom = { Status: "exited", ExitCode: 137, OOMKilled: true, Error: "" };
    transport.answer("1.1.1.1", (l) => l === DIAGNOSE("app-web-999"), `${JSON.stringify(unhealthy)} 0\nbooting with master-key-value\nGET /up 404\n`);
    transport.answer("1.1.1.2", (l) => l === DIAGNOSE("app-web-999"), `${JSON.stringify(oom)} 2\nallocating\n`);
    const error = (await deploy(ctx, { skipPush: true }).catch((e: Error) => e)) as BootError;
    expect(error).toBeInstanceOf(BootError);
    for (const host of HOSTS) expect(commands(ctx, host).filter((l) => l.includes("docker logs"))).toEqual([DIAGNOSE("app-web-999")]);
    expect(error.message).toBe(
      [
        "2 new containers did not become healthy:",
        "app-web-999 on 1.1.1.1 did not become healthy (unhealthy); every host stays on the previous version",
        "  State: running, health unhealthy after 3 failed checks in a row",
        "  Health checks (Docker runs them in the container):",
        "    00:00:01 exit 22: curl: (22) The requested URL returned error: 404",
        "  Last 2 log lines:",
        "    booting with master-key-value",
        "    GET /up 404",
        "app-web-999 on 1.1.1.2 did not become healthy (exited); every host stays on the previous version",
        "  State: exited with code 137, killed for lack of memory (OOM), restarted 2 times",
        "  Last 1 log lines:",
        "    allocating",
      ].join("\n"),
    );
    expect(error.hint).toMatch(/^the check runs `curl -fsS http:\/\/localhost:3000\/up` inside the container.*; the container ran out of memory/);
    // The secret in the log reaches the user masked, as every message.
    ctx.output.emit({ type: "error", message: error.message });
    expect(JSON.stringify(ctx.events.at(-1))).not.toContain("master-key-value");
    expect(JSON.stringify(ctx.events.at(-1))).toContain("booting with");
  });

  it("ends a boot with a summary: previous → new version, time to healthy and result per host and role", async () => {
    const ctx = context(fast, { "1.1.1.1": running998 });
    await deploy(ctx, { skipPush: true });
    const summary = ctx.events.find((e) => e.type === "summary");
    expect(summary).toEqual({
      type: "summary",
      rows: [
        { host: "1.1.1.1", role: "web", previous: "998", version: "999", healthyMs: expect.any(Number), result: "ok" },
        { host: "1.1.1.2", role: "web", version: "999", healthyMs: expect.any(Number), result: "ok" },
      ],
    });
  });

  it("summarizes a failed boot: the failing host failed, the others rolled back", async () => {
    const ctx = context(config, { "1.1.1.1": running998, "1.1.1.2": { ...running998, health: { "app-web-999": "unhealthy" } } });
    await deploy(ctx, { skipPush: true }).catch(() => undefined);
    const summary = ctx.events.find((e) => e.type === "summary");
    expect(summary).toEqual({
      type: "summary",
      rows: [
        { host: "1.1.1.1", role: "web", previous: "998", version: "999", healthyMs: expect.any(Number), result: "rolled back" },
        { host: "1.1.1.2", role: "web", previous: "998", version: "999", result: "failed" },
      ],
    });
  });

  it("boots in batches of boot.limit and rolls back earlier batches when a later one fails", async () => {
    const batched = configFrom(`${MRSK_MINIMAL}boot:\n  limit: 1\ntraefik:\n  args:\n    providers.providersThrottleDuration: 0s\n`, { env: MRSK_SECRETS });
    const ctx = context(batched, { "1.1.1.1": running998, "1.1.1.2": { ...running998, health: { "app-web-999": "unhealthy" } } });
    await expect(deploy(ctx, { skipPush: true })).rejects.toThrow(/1\.1\.1\.2 did not become healthy/);
    const first = commands(ctx, "1.1.1.1");
    // Batch 1 switched (old stopped), then was rolled back when batch 2 failed.
    expect(first.indexOf("docker stop app-web-998")).toBeGreaterThan(0);
    expect(first.indexOf("docker start app-web-998 ; docker stop app-web-999 ; docker rm --force app-web-999")).toBeGreaterThan(first.indexOf("docker stop app-web-998"));
  });

  it("rolls back and releases the lock when interrupted while waiting for health", async () => {
    const ctx = context(config, { "1.1.1.1": { ...running998, health: { "app-web-999": "starting" } } });
    const pending = deploy(ctx, { skipPush: true, signal: ctx.signal });
    setTimeout(() => ctx.abort(new Error("Interrupted by SIGINT")), 200);
    await expect(pending).rejects.toThrow("Interrupted by SIGINT");
    const lines = commands(ctx, "1.1.1.1");
    expect(lines).toContain("docker start app-web-998 ; docker rm --force app-web-999");
    expect(lines.at(-1)).toBe("test -e .mrsk/lock-app/owner.TOKEN && rm -rf .mrsk/lock-app");
  });

  it("runs the release command once on the primary host before any container starts", async () => {
    const withRelease = configFrom(`${MRSK_MINIMAL}release_command: bin/rails db:migrate\n`, { env: MRSK_SECRETS });
    const ctx = context(withRelease);
    await deploy(ctx, { skipPush: true });
    const lines = commands(ctx, "1.1.1.1");
    const release = lines.findIndex((l) => l.endsWith("dhh/app:999 bin/rails db:migrate"));
    expect(lines[release]).toBe(
      "mkdir -p .mrsk/app/env/roles && " + WRITE_ENV + "mkdir -p .mrsk/app && echo '[TIME] [USER] [web] Ran release command for version 999' >> .mrsk/app/audit.log && docker run --rm --env MRSK_CONTAINER_NAME=app-web-999 --env MRSK_VERSION=999 --env MRSK_HOST=1.1.1.1 --env RAILS_ENV=production --env-file .mrsk/app/env/roles/web.env dhh/app:999 bin/rails db:migrate",
    );
    expect(release).toBeLessThan(lines.findIndex((l) => l.includes("docker run --detach")));
    expect(commands(ctx, "1.1.1.2").some((l) => l.includes("db:migrate"))).toBe(false);
  });
});

describe("redeploy", () => {
  it("deploys without booting Traefik or pruning", async () => {
    const ctx = context(fast, { "1.1.1.1": running998 });
    await redeploy(ctx, { skipPush: true });
    const lines = commands(ctx, "1.1.1.1");
    expect(lines.some((l) => l.includes("traefik:v2.9"))).toBe(false);
    expect(lines.some((l) => l.includes("Pruned"))).toBe(false);
    expect(lines).toContain("docker stop app-web-998");
  });
});

describe("rollback", () => {
  it("boots a version whose image every host still has, without pulling", async () => {
    const state = { containers: [["app-web-999", "running", "web"]] as Array<[string, string, string]>, imageTags: ["999", "998", "latest"] };
    const ctx = context(fast, { "1.1.1.1": state, "1.1.1.2": state });
    await rollback(ctx, "998", {});
    const lines = commands(ctx, "1.1.1.1");
    expect(lines[1]).toBe("docker image ls dhh/app --format '{{.Tag}}'");
    expect(lines.some((l) => l.includes("docker pull"))).toBe(false);
    expect(lines.some((l) => l.includes("--name app-web-998") && l.endsWith("dhh/app:998"))).toBe(true);
    expect(lines).toContain("docker stop app-web-999");
    expect(lines).toContain("mkdir -p .mrsk/app && echo '[TIME] [USER] Tagging dhh/app:998 as the latest image' >> .mrsk/app/audit.log && docker tag dhh/app:998 dhh/app:latest");
  });

  it("refuses a version missing on a host, listing the versions every host has", async () => {
    const ctx = context(config, { "1.1.1.1": { imageTags: ["999", "998", "997"] }, "1.1.1.2": { imageTags: ["999", "997"] } });
    await expect(rollback(ctx, "998", {})).rejects.toThrow("Version 998 is not available on 1.1.1.2; nothing was changed");
    await expect(rollback(ctx, "998", {})).rejects.toMatchObject({ hint: "versions available on every host: 997, 999" });
    expect(commands(ctx, "1.1.1.1").some((l) => l.includes("docker run"))).toBe(false);
  });
});

describe("rollback without a version", () => {
  const PS = (rows: Array<[string, string, string]>) => rows.map(([name, state, created]) => `${name}\t${state}\tweb\tdhh/app:x\t${created} +0000 UTC`).join("\n");
  /** A host's containers (name, state, creation time) and images (`<id> <tag>` lines). */
  function hosts(perHost: Record<string, { ps: Array<[string, string, string]>; images: string[] }>): TestFlowContext {
    const ctx = context(fast, {
      "1.1.1.1": { imageTags: perHost["1.1.1.1"]!.images.map((l) => l.split(" ")[1]!) },
      "1.1.1.2": { imageTags: perHost["1.1.1.2"]!.images.map((l) => l.split(" ")[1]!) },
    });
    const transport = ctx.transportImpl as DryRunTransport;
    for (const [host, state] of Object.entries(perHost)) {
      transport.answer(host, (l) => l.endsWith(PS_ALL), PS(state.ps));
      transport.answer(host, (l) => l === "docker image ls dhh/app --format '{{.ID}} {{.Tag}}'", state.images.join("\n"));
    }
    return ctx;
  }
  const deployed = {
    ps: [
      ["app-web-999", "running", "2026-12-03 10:00:00"],
      ["app-web-998", "exited", "2026-12-02 10:00:00"],
      ["app-web-997", "exited", "2026-12-01 10:00:00"],
    ] as Array<[string, string, string]>,
    images: ["c 999", "c latest", "b 998", "a 997"],
  };

  it("boots the version that served before the current one on every host, decided by container creation times", async () => {
    const ctx = hosts({ "1.1.1.1": deployed, "1.1.1.2": deployed });
    await rollback(ctx, undefined, {});
    for (const host of HOSTS) {
      const lines = commands(ctx, host);
      expect(lines.some((l) => l.includes("--name app-web-998") && l.endsWith("dhh/app:998"))).toBe(true);
      expect(lines).toContain("docker stop app-web-999");
    }
    expect(ctx.events).toContainEqual({ type: "info", message: "Rolling back to 998, the version that served before 999 on 1.1.1.1, 1.1.1.2" });
  });

  it("after a rollback, goes back to the version the rollback left (its container is the newest before)", async () => {
    const rolledBack = {
      ps: [
        ["app-web-998", "running", "2026-12-04 10:00:00"],
        ["app-web-999", "exited", "2026-12-03 10:00:00"],
        ["app-web-997", "exited", "2026-12-01 10:00:00"],
      ] as Array<[string, string, string]>,
      images: ["c 999", "b latest", "b 998", "a 997"],
    };
    const ctx = hosts({ "1.1.1.1": rolledBack, "1.1.1.2": rolledBack });
    await rollback(ctx, undefined, {});
    expect(commands(ctx, "1.1.1.1").some((l) => l.includes("--name app-web-999") && l.endsWith("dhh/app:999"))).toBe(true);
  });

  it("refuses when the hosts disagree, listing what each host has and the versions every host has", async () => {
    const withoutImage = { ...deployed, images: ["c 999", "c latest", "a 997"] };
    const ctx = hosts({ "1.1.1.1": deployed, "1.1.1.2": withoutImage });
    const error = (await rollback(ctx, undefined, {}).catch((e: unknown) => e)) as MrskError;
    expect(error.message).toBe(
      "The hosts disagree on the version that served before; nothing was changed\n    1.1.1.1: serving 999; before it: 998, 997\n    1.1.1.2: serving 999; before it: 997",
    );
    expect(error.hint).toBe("versions available on every host: 997, 999; pass one: mrsk rollback VERSION");
    for (const host of HOSTS) expect(commands(ctx, host).some((l) => l.includes("docker run") || l.includes("mkdir .mrsk/lock-app"))).toBe(false);
  });

  it("refuses when a host has no earlier version left", async () => {
    const only = { ps: [["app-web-999", "running", "2026-12-03 10:00:00"]] as Array<[string, string, string]>, images: ["c 999", "c latest"] };
    const ctx = hosts({ "1.1.1.1": deployed, "1.1.1.2": only });
    await expect(rollback(ctx, undefined, {})).rejects.toThrow(/^No earlier version is left to roll back to on every host; nothing was changed\n.*\n {4}1\.1\.1\.2: serving 999; before it: none$/);
  });

  it("with --dry-run, prints the plan with a stand-in for the version the hosts would name", async () => {
    const ctx = new TestFlowContext(fast, { dryRun: true });
    await rollback(ctx, undefined, {});
    expect(ctx.events).toContainEqual({
      type: "info",
      message: "Dry run: the hosts were not asked which version served before; the plan shows previous-version in its place (pass a VERSION to see it with one)",
    });
    expect(ctx.commands("1.1.1.1").some((l) => l.includes("--name app-web-previous-version") && l.endsWith("dhh/app:previous-version"))).toBe(true);
  });

  it("app versions shows, per host, the serving version and those it can roll back to, newest first, with boot times", async () => {
    const ctx = hosts({ "1.1.1.1": deployed, "1.1.1.2": { ...deployed, images: ["c 999", "c latest", "a 997"] } });
    await showAppVersions(ctx);
    const shown = ctx.events.flatMap((e) => (e.type === "result" ? [`[${e.host}] ${e.text}`] : []));
    expect(shown).toEqual([
      "[1.1.1.1] 999  serving now (booted 2026-12-03 10:00:00 +0000 UTC)\n998  booted 2026-12-02 10:00:00 +0000 UTC\n997  booted 2026-12-01 10:00:00 +0000 UTC",
      "[1.1.1.2] 999  serving now (booted 2026-12-03 10:00:00 +0000 UTC)\n997  booted 2026-12-01 10:00:00 +0000 UTC",
    ]);
  });
});

describe("setup", () => {
  it("checks Docker on every host and boots accessories before the app", async () => {
    const withDb = configFrom(`${MRSK_MINIMAL}accessories:\n  redis:\n    image: redis:7\n    host: 1.1.1.3\n`, { env: MRSK_SECRETS });
    const ctx = context(withDb);
    (ctx.transportImpl as DryRunTransport).answer("1.1.1.3", (l) => l.startsWith("docker container inspect --format '{{.State.Status}}' app-redis"), "", 1);
    await setup(ctx, { skipPush: true });
    expect(commands(ctx, "1.1.1.2").slice(0, 1)).toEqual(["docker version >/dev/null 2>&1"]);
    expect(commands(ctx, "1.1.1.3")).toContain("docker run --name app-redis --detach --restart unless-stopped --log-opt max-size=10m --label service=app-redis redis:7");
  });
});

describe("Traefik's provider throttle", () => {
  it("is read from traefik.args as a Go duration, 2 s by default", async () => {
    const { goDurationMs, providerThrottleMs } = await import("../../src/flows/proxy/traefik.js");
    expect(providerThrottleMs(config)).toBe(2000);
    expect(providerThrottleMs(fast)).toBe(0);
    expect([goDurationMs("500ms"), goDurationMs("1m30s"), goDurationMs("3"), goDurationMs("soon")]).toEqual([500, 90_000, 3000, undefined]);
  });
});
