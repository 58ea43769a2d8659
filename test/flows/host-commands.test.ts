import { describe, expect, it } from "vitest";
import { bootstrap, prune, registryLogin, registryLogout } from "../../src/flows/host-commands.js";
import { switchMaintenance } from "../../src/flows/maintenance.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { audit, commandsOn, LOCK, operateContext, UNLOCK } from "../support/operate.js";

// prune, server bootstrap, registry login/logout and maintenance mode, per host.

const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });

describe("prune", () => {
  const containers = `${audit("Pruned containers")} ; docker ps --quiet --all --filter label=service=app --filter label=destination= --filter status=created --filter status=exited --filter status=dead | tail -n +6 | xargs --no-run-if-empty docker rm`;
  const images = [
    `${audit("Pruned images")} ; docker image prune --force --filter label=service=app`,
    "docker image ls --filter label=service=app --format '{{.ID}} {{.Repository}}:{{.Tag}}'",
    "docker container ls --all --filter label=service=app --format '{{.Image}}'",
  ];

  it("all, containers and images run the deploy's prune steps under the lock", async () => {
    for (const [scope, expected] of [
      ["all", [containers, ...images]],
      ["containers", [containers]],
      ["images", images],
    ] as const) {
      const ctx = operateContext(config);
      await prune(ctx, scope);
      expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, ...expected, UNLOCK]);
      expect(commandsOn(ctx, "1.1.1.2")).toEqual(expected);
    }
  });
});

describe("server bootstrap", () => {
  it("checks Docker on every selected host under the lock", async () => {
    const ctx = operateContext(config, {}, { filters: { hosts: "1.1.1.2" } });
    await bootstrap(ctx);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual(["docker version >/dev/null 2>&1"]);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, UNLOCK]);
  });
});

describe("registry", () => {
  it("login logs in on this machine and on the hosts with the password on stdin", async () => {
    const ctx = operateContext(config);
    await registryLogin(ctx);
    for (const host of ["localhost", "1.1.1.1", "1.1.1.2"]) expect(commandsOn(ctx, host)).toEqual(["docker login --username user --password-stdin"]);
  });

  it("login skips this machine or the hosts when asked", async () => {
    const ctx = operateContext(config);
    await registryLogin(ctx, { skipLocal: true });
    expect(commandsOn(ctx, "localhost")).toEqual([]);
    const remote = operateContext(config);
    await registryLogin(remote, { skipRemote: true });
    expect(commandsOn(remote, "1.1.1.1")).toEqual([]);
    expect(commandsOn(remote, "localhost")).toEqual(["docker login --username user --password-stdin"]);
  });

  it("logout logs out on the hosts", async () => {
    const ghcr = configFrom(MRSK_MINIMAL.replace("username: user", "server: ghcr.io\n  username: user"), { env: MRSK_SECRETS });
    const ctx = operateContext(ghcr);
    await registryLogout(ctx);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual(["docker logout ghcr.io"]);
  });
});

describe("maintenance mode", () => {
  it("is refused with Traefik, naming the `proxy:` section, before connecting", async () => {
    const ctx = operateContext(config);
    await expect(switchMaintenance(ctx, "maintenance")).rejects.toMatchObject({
      message: "app maintenance needs a proxy with a maintenance mode; this configuration uses Traefik (a `traefik:` section), which has none",
      hint: expect.stringContaining("`proxy:` section") as unknown,
    });
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([]);
  });

  it("rewrites the app's site and reloads the Caddy proxy, under the lock", async () => {
    const caddy = configFrom(`${MRSK_MINIMAL}proxy:\n  host: example.com\n`, { env: MRSK_SECRETS });
    const ctx = operateContext(caddy);
    await switchMaintenance(ctx, "maintenance", { message: "Back at 10:00" });
    await switchMaintenance(ctx, "live");
    const reload = "docker exec mrsk-proxy caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile";
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([
      "upload .mrsk/proxy/sites/app-web.caddy (mode 644)",
      `${audit("Started maintenance mode")} && ${reload}`,
      "upload .mrsk/proxy/sites/app-web.caddy (mode 644)",
      `${audit("Ended maintenance mode")} && ${reload}`,
    ]);
    expect(commandsOn(ctx, "1.1.1.1")[0]).toBe(LOCK);
  });
});
