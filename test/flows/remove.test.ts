import { describe, expect, it } from "vitest";
import { showAudit, showDetails } from "../../src/flows/details.js";
import { removeEverything } from "../../src/flows/remove.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { audit, commandsOn, dryRunOf, LOCK, operateContext, results, UNLOCK } from "../support/operate.js";

// `mrsk remove`, `mrsk details` and `mrsk audit`, per host.

const config = configFrom(`${MRSK_MINIMAL}accessories:\n  cache:\n    image: redis:7\n    host: 1.1.1.3\n    directories:\n      - data:/data\n`, { env: MRSK_SECRETS });
const PS_ALL = `docker ps --all --filter label=service=app --filter label=destination= --format '{{.Names}}\t{{.State}}\t{{.Label "role"}}\t{{.Image}}\t{{.CreatedAt}}'`;
const REFS = "docker image ls dhh/app --format '{{.Repository}}:{{.Tag}}'";
const OTHERS = "docker ps --all --format '{{.Names}}\t{{.Label \"service\"}}\t{{.Label \"destination\"}}\t{{.Labels}}'";
const IMAGES = "docker ps --all --format '{{.Image}}\t{{.Label \"service\"}}\t{{.Label \"destination\"}}\t{{.Names}}'";
const STOP_PRUNE_WEB =
  "docker ps --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting | xargs --no-run-if-empty docker stop && docker container prune --force --filter label=service=app --filter label=destination= --filter label=role=web";

describe("remove", () => {
  const state = {
    "1.1.1.1": { containers: [["app-web-999", "running", "web"]] as Array<[string, string, string]>, images: [["a", "999"], ["a", "latest"]] as Array<[string, string]> },
    "1.1.1.2": {
      containers: [["app-web-999", "running", "web"]] as Array<[string, string, string]>,
      images: [["a", "999"]] as Array<[string, string]>,
      labelled: ["blog-web-1\tblog\t\ttraefik.http.routers.blog-web.rule=Host(`b`)"],
    },
  };

  it("says what goes on each host, including Traefik only where no other service uses it", async () => {
    const ctx = operateContext(config, state);
    await removeEverything(ctx, { yes: true });
    expect(results(ctx)[0]).toBe(
      [
        "Removing app deletes:",
        "  1.1.1.1:",
        "    app containers: app-web-999",
        "    app images (those no other container uses): dhh/app:999, dhh/app:latest",
        "    Traefik: container traefik, image traefik:v2.9, .mrsk/traefik",
        "    .mrsk/app (env files and the audit log)",
        "    the login to Docker Hub",
        "    the deploy lock .mrsk/lock-app",
        "  1.1.1.2:",
        "    app containers: app-web-999",
        "    app images (those no other container uses): dhh/app:999",
        "    Traefik: kept, other services use it (blog-web-1)",
        "    .mrsk/app (env files and the audit log)",
        "    the login to Docker Hub",
        "  1.1.1.3:",
        "    accessory cache:",
        "        container app-cache (with its anonymous volumes)",
        "        image redis:7 (unless another container uses it)",
        "        directory ~/app-cache (with app-cache/data)",
        "        env file .mrsk/app/env/accessories/cache.env",
        "    .mrsk/app (env files and the audit log)",
        "    the login to Docker Hub",
      ].join("\n"),
    );
  });

  it("removes Traefik, the app, the accessories, the registry login and .mrsk/<service>, then releases the lock", async () => {
    const ctx = operateContext(config, state);
    await removeEverything(ctx, { yes: true });
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([
      OTHERS,
      IMAGES,
      PS_ALL,
      REFS,
      LOCK,
      `${audit("Removed traefik")} && docker container stop traefik >/dev/null 2>&1 ; docker container rm traefik >/dev/null 2>&1 ; true`,
      "docker image rm traefik:v2.9",
      "rm -rf .mrsk/traefik",
      `${audit("Removed all app containers", "web")} && ${STOP_PRUNE_WEB}`,
      `${audit("Removed all app images")} && docker image prune --all --force --filter label=service=app`,
      PS_ALL,
      "rm -rf .mrsk/app/env/roles/web.env",
      "docker logout",
      "rm -rf .mrsk/app",
      UNLOCK,
    ]);
    expect(commandsOn(ctx, "1.1.1.2").some((l) => l.includes("traefik:v2.9"))).toBe(false);
    expect(commandsOn(ctx, "1.1.1.3")).toEqual([
      IMAGES,
      audit("Removed cache accessory"),
      "docker container stop app-cache >/dev/null 2>&1 ; docker container rm --volumes app-cache",
      "docker image rm redis:7",
      "rm -rf app-cache .mrsk/app/env/accessories/cache.env",
      "docker logout",
      "rm -rf .mrsk/app",
    ]);
  });

  it("keeps the registry login on a host where another service's containers run images from that registry", async () => {
    const ghcr = configFrom(`${MRSK_MINIMAL.replace("username: user", "server: ghcr.io\n  username: user")}accessories:\n  cache:\n    image: ghcr.io/me/redis:7\n    host: 1.1.1.2\n`, { env: MRSK_SECRETS });
    const ctx = operateContext(ghcr);
    const images = ["ghcr.io/dhh/app:999\tapp\t", "ghcr.io/me/redis:7\tapp-cache\t", "redis:7\tblog-cache\t", "ghcr.io/dhh/app:999\tapp\tstaging"];
    dryRunOf(ctx).answer("1.1.1.1", (l) => l.startsWith("docker ps --all --format '{{.Image}}"), images.join("\n"));
    dryRunOf(ctx).answer("1.1.1.2", (l) => l.startsWith("docker ps --all --format '{{.Image}}"), images.slice(0, 3).join("\n"));
    await removeEverything(ctx, { yes: true });
    expect(results(ctx)[0]).toContain("  1.1.1.1:\n    app containers: none found\n    app images (those no other container uses): none found\n    Traefik: container traefik, image traefik:v2.9, .mrsk/traefik\n    .mrsk/app (env files and the audit log)\n    keeps the login to ghcr.io (still used by app)");
    expect(commandsOn(ctx, "1.1.1.1")).not.toContain("docker logout ghcr.io");
    expect(commandsOn(ctx, "1.1.1.2")).toContain("docker logout ghcr.io");
  });

  it("logs out of Docker Hub where the only other container from it is this service's own Traefik", async () => {
    // MRSK's Traefik runs traefik:v2.9 from Docker Hub and has no service label; `remove` deletes it.
    const ctx = operateContext(config, state);
    const traefikRow = "traefik:v2.9\t\t\ttraefik";
    dryRunOf(ctx).answer("1.1.1.1", (l) => l === IMAGES, ["dhh/app:999\tapp\t\tapp-web-999", traefikRow].join("\n"));
    // On 1.1.1.2 Traefik stays for the blog, whose own container from Docker Hub keeps the login.
    dryRunOf(ctx).answer("1.1.1.2", (l) => l === IMAGES, ["dhh/app:999\tapp\t\tapp-web-999", traefikRow, "dhh/blog:1\tblog\t\tblog-web-1"].join("\n"));
    await removeEverything(ctx, { yes: true });
    const plan = results(ctx)[0]!;
    expect(plan).toContain("    .mrsk/app (env files and the audit log)\n    the login to Docker Hub\n    the deploy lock .mrsk/lock-app\n  1.1.1.2:");
    expect(plan).toContain("    .mrsk/app (env files and the audit log)\n    keeps the login to Docker Hub (still used by blog)\n  1.1.1.3:");
    expect(commandsOn(ctx, "1.1.1.1").slice(-3)).toEqual(["docker logout", "rm -rf .mrsk/app", UNLOCK]);
    expect(commandsOn(ctx, "1.1.1.2")).not.toContain("docker logout");
    expect(commandsOn(ctx, "1.1.1.2").at(-1)).toBe("rm -rf .mrsk/app");
  });

  it("does not count the Caddy proxy as a user of the registry either", async () => {
    const caddy = configFrom(`${MRSK_MINIMAL}proxy:\n  host: example.com\n`, { env: MRSK_SECRETS });
    const ctx = operateContext(caddy);
    dryRunOf(ctx).answer("1.1.1.1", (l) => l === IMAGES, "caddy:2\t\t\tmrsk-proxy\nredis:7\t\t\tmy-own-redis");
    dryRunOf(ctx).answer("1.1.1.2", (l) => l === IMAGES, "caddy:2\t\t\tmrsk-proxy");
    await removeEverything(ctx, { yes: true });
    // An unlabelled container of the user's own (not mrsk's proxy) still keeps the login.
    expect(results(ctx)[0]).toContain("keeps the login to Docker Hub (still used by redis:7)");
    expect(commandsOn(ctx, "1.1.1.1")).not.toContain("docker logout");
    expect(commandsOn(ctx, "1.1.1.2")).toContain("docker logout");
  });

  it("changes nothing when a host cannot be reached", async () => {
    const ctx = operateContext(config, state, { unreachable: ["1.1.1.3"] });
    await expect(removeEverything(ctx, { yes: true })).rejects.toThrow("Could not connect to 1.1.1.3");
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([]);
  });

  it("removes only this app's routes from the Caddy proxy, and the proxy with the last route", async () => {
    const caddy = configFrom(`${MRSK_MINIMAL}proxy:\n  host: example.com\n`, { env: MRSK_SECRETS });
    const ctx = operateContext(caddy);
    dryRunOf(ctx).answer("1.1.1.2", (l) => l === "ls -1 .mrsk/proxy/sites", "blog-web.caddy\n");
    await removeEverything(ctx, { yes: true });
    const routes = ["rm -rf .mrsk/proxy/sites/app-web.caddy .mrsk/proxy/live/app-web.b .mrsk/proxy/certs/app-web", "ls -1 .mrsk/proxy/sites"];
    expect(commandsOn(ctx, "1.1.1.1").slice(4, 8)).toEqual([
      ...routes,
      "docker container rm --force mrsk-proxy ; docker volume rm mrsk-proxy-data mrsk-proxy-config >/dev/null 2>&1 ; rm -rf .mrsk/proxy",
      "docker image rm caddy:2",
    ]);
    expect(commandsOn(ctx, "1.1.1.2").slice(3, 6)).toEqual([...routes, "docker exec mrsk-proxy caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile"]);
  });
});

describe("details and audit", () => {
  it("details shows the proxy, each role and each accessory per host, without the lock", async () => {
    const ctx = operateContext(config);
    await showDetails(ctx);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual(["docker ps --filter 'name=^traefik$'", "docker ps --filter label=service=app --filter label=destination= --filter label=role=web"]);
    expect(commandsOn(ctx, "1.1.1.3")).toEqual(["docker ps --filter label=service=app-cache"]);
    expect(results(ctx)).toEqual(["[1.1.1.1] Traefik: ", "[1.1.1.1] App web: ", "[1.1.1.2] Traefik: ", "[1.1.1.2] App web: ", "[1.1.1.3] Accessory cache: "]);
  });

  it("audit shows the last 50 lines of each host's audit log, or that there is none", async () => {
    const ctx = operateContext(config, {}, { unreachable: ["1.1.1.3"] });
    dryRunOf(ctx).answer("1.1.1.1", (l) => l.startsWith("tail"), "[t] [me] Booted app version 999\n");
    dryRunOf(ctx).answer("1.1.1.2", (l) => l.startsWith("tail"), "", 1);
    await expect(showAudit(ctx)).rejects.toThrow("Could not connect to 1.1.1.3: connect ETIMEDOUT");
    expect(commandsOn(ctx, "1.1.1.1")).toEqual(["tail -n 50 .mrsk/app/audit.log"]);
    expect(results(ctx)).toEqual(["[1.1.1.1] [t] [me] Booted app version 999", "[1.1.1.2] No audit log (.mrsk/app/audit.log)"]);
  });
});
