import { describe, expect, it } from "vitest";
import {
  bootTraefik,
  rebootTraefikCommand,
  removeTraefikCommand,
  restartTraefik,
  showTraefikDetails,
  showTraefikLogs,
  startTraefikCommand,
  stopTraefikCommand,
} from "../../src/flows/traefik-commands.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { audit, commandsOn, LOCK, operateContext, results, UNLOCK } from "../support/operate.js";

// Every remote command of `mrsk traefik …`, per host.

const config = configFrom(`${MRSK_MINIMAL}traefik:\n  env:\n    secret:\n      - TRAEFIK_TOKEN\n`, { env: { ...MRSK_SECRETS, TRAEFIK_TOKEN: "traefik-token-value" } });
const plain = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
const RUN =
  "docker run --name traefik --detach --restart unless-stopped --publish 80:80 --volume /var/run/docker.sock:/var/run/docker.sock --env-file .mrsk/traefik/traefik.env --log-opt max-size=10m traefik:v2.9 --providers.docker --log.level=DEBUG";
const OTHERS = "docker ps --all --format '{{.Names}}\t{{.Label \"service\"}}\t{{.Label \"destination\"}}\t{{.Labels}}'";

describe("traefik boot, reboot, start, stop, restart", () => {
  it("boot starts Traefik where it does not run, with its env file", async () => {
    const ctx = operateContext(config);
    await bootTraefik(ctx);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([
      audit("Booted traefik"),
      "mkdir -p .mrsk/traefik",
      "upload .mrsk/traefik/traefik.env (mode 600)",
      `docker container start traefik 2>/dev/null || ${RUN}`,
    ]);
    expect(commandsOn(ctx, "1.1.1.1")[0]).toBe(LOCK);
  });

  it("reboot replaces the container on every host at once, or one host after the other with --rolling", async () => {
    const ctx = operateContext(config);
    await rebootTraefikCommand(ctx, { rolling: true });
    const reboot = `${audit("Rebooted traefik")} && docker container stop traefik >/dev/null 2>&1 ; docker container rm traefik >/dev/null 2>&1 ; ${RUN}`;
    expect(commandsOn(ctx, "1.1.1.2")).toEqual(["mkdir -p .mrsk/traefik", "upload .mrsk/traefik/traefik.env (mode 600)", reboot]);
    const order = ctx.events.flatMap((e) => (e.type === "phase" ? [e.title] : []));
    expect(order.filter((t) => t.startsWith("Rebooting"))).toEqual(["Rebooting Traefik on 1.1.1.1", "Rebooting Traefik on 1.1.1.2"]);
  });

  it("start, stop and restart the container, audited", async () => {
    const ctx = operateContext(plain);
    await startTraefikCommand(ctx);
    await stopTraefikCommand(ctx);
    await restartTraefik(ctx);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([
      `${audit("Started traefik")} && docker container start traefik`,
      `${audit("Stopped traefik")} && docker container stop traefik`,
      `${audit("Stopped traefik")} && docker container stop traefik`,
      `${audit("Started traefik")} && docker container start traefik`,
    ]);
  });

  it("are refused for a configuration with the Caddy proxy", async () => {
    const caddy = configFrom(`${MRSK_MINIMAL}proxy:\n  host: example.com\n`, { env: MRSK_SECRETS });
    await expect(bootTraefik(operateContext(caddy))).rejects.toMatchObject({
      message: "This configuration uses the Caddy proxy (a `proxy:` section), not Traefik",
      hint: "use `mrsk proxy …` for it",
    });
  });
});

describe("traefik details and logs", () => {
  it("read the container on each host without the lock", async () => {
    const ctx = operateContext(plain);
    await showTraefikDetails(ctx);
    await showTraefikLogs(ctx, { since: "1h" });
    expect(commandsOn(ctx, "1.1.1.1")).toEqual(["docker ps --filter 'name=^traefik$'", "docker logs --timestamps --since 1h traefik 2>&1"]);
  });
});

describe("traefik remove", () => {
  it("keeps Traefik on a host where another service's containers use it, and says so", async () => {
    const ctx = operateContext(plain, { "1.1.1.2": { labelled: ["blog-web-1\tblog\t\tservice=blog,traefik.http.routers.blog-web.rule=Host(`b`)"] } });
    await removeTraefikCommand(ctx, { yes: true });
    expect(results(ctx)[0]).toBe(
      ["Removing Traefik:", "  1.1.1.1: container traefik, image traefik:v2.9, .mrsk/traefik", "  1.1.1.2: kept, other services use it (blog-web-1)"].join("\n"),
    );
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([
      OTHERS,
      LOCK,
      `${audit("Removed traefik")} && docker container stop traefik >/dev/null 2>&1 ; docker container rm traefik >/dev/null 2>&1 ; true`,
      "docker image rm traefik:v2.9",
      "rm -rf .mrsk/traefik",
      UNLOCK,
    ]);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([OTHERS]);
  });

  it("removes it anyway with --force", async () => {
    const ctx = operateContext(plain, { "1.1.1.2": { labelled: ["blog-web-1\tblog\t\ttraefik.enable=true"] } });
    await removeTraefikCommand(ctx, { yes: true, force: true });
    expect(results(ctx)[0]).toContain("  1.1.1.2: container traefik, image traefik:v2.9, .mrsk/traefik (forced: blog-web-1 use it)");
    expect(commandsOn(ctx, "1.1.1.2")).toContain("docker image rm traefik:v2.9");
  });
});
