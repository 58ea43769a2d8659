import { describe, expect, it } from "vitest";
import { bootAccessory, execAccessory, rebootAccessory } from "../../src/flows/accessory-commands.js";
import { bootApp, execApp } from "../../src/flows/app-commands.js";
import { deploy, rollback, setup } from "../../src/flows/deploy.js";
import { removeEverything } from "../../src/flows/remove.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import type { TestFlowContext } from "../support/flow-context.js";
import { audit, commandsOn, dryRunOf, LOCK, operateContext, results, UNLOCK, type HostState } from "../support/operate.js";

// A fleet whose roles and accessories live on hosts of their own (Kamal 2 style): web behind the
// proxy on 1.1.1.1, jobs without a proxy on 1.1.1.2, a database accessory on 1.1.1.3. Every host
// that runs a container on the `mrsk` network creates it, in a command it runs anyway.

const FLEET = `
service: app
image: dhh/app
servers:
  web:
    hosts: [1.1.1.1]
  jobs:
    hosts: [1.1.1.2]
    cmd: bin/jobs
    proxy: false
registry:
  username: user
  password: [KAMAL_REGISTRY_PASSWORD]
builder: { arch: amd64 }
proxy:
  app_port: 3000
readiness_delay: 0
accessories:
  db:
    image: mysql:8
    host: 1.1.1.3
    directories: [data:/var/lib/mysql]
`;
const SECRETS = { KAMAL_REGISTRY_PASSWORD: "pw-value" };
const fleet = configFrom(FLEET, { env: SECRETS });
const workerOnly = configFrom(
  `
service: app
image: dhh/app
servers:
  jobs:
    hosts: [1.1.1.2]
    cmd: bin/jobs
    proxy: false
primary_role: jobs
registry:
  username: user
  password: [KAMAL_REGISTRY_PASSWORD]
builder: { arch: amd64 }
readiness_delay: 0
`,
  { env: SECRETS },
);

const ENSURE = "docker network inspect mrsk >/dev/null 2>&1 || docker network create mrsk >/dev/null 2>&1";
const PS_ALL = `docker ps --all --filter label=service=app --filter label=destination= --format '{{.Names}}\t{{.State}}\t{{.Label "role"}}\t{{.Image}}\t{{.CreatedAt}}'`;
const PLAN = `mkdir -p .mrsk/app/env/roles ; ${ENSURE} ; ${PS_ALL}`;
const PROXY_PREPARE = `${ENSURE} ; mkdir -p .mrsk/proxy/sites .mrsk/proxy/certs .mrsk/proxy/live ; docker container inspect --format '{{.State.Running}}' mrsk-proxy 2>/dev/null ; head -qn1 .mrsk/proxy/Caddyfile .mrsk/proxy/sites/*.caddy 2>/dev/null ; true`;
const HEALTH = (name: string) => `docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}} {{.RestartCount}}' ${name}`;
const TOOL_ENV = (name: string, host: string) =>
  `--env MRSK_CONTAINER_NAME=${name} --env MRSK_VERSION=999 --env MRSK_HOST=${host} --env KAMAL_CONTAINER_NAME=${name} --env KAMAL_VERSION=999 --env KAMAL_HOST=${host}`;
const RUN_JOBS = `docker run --detach --restart unless-stopped --name app-jobs-999 --hostname 1.1.1.2-HEX ${TOOL_ENV("app-jobs-999", "1.1.1.2")} --log-opt max-size=10m --label service=app --label role=jobs --label destination= --network mrsk dhh/app:999 bin/jobs`;
const RUN_WEB = `docker run --detach --restart unless-stopped --name app-web-999 --hostname 1.1.1.1-HEX ${TOOL_ENV("app-web-999", "1.1.1.1")} --log-opt max-size=10m --label service=app --label role=web --label destination= --network mrsk dhh/app:999`;
const PROBE_WEB = `curl --silent --show-error --output /dev/null --max-time 5 --write-out '%{http_code} %{time_total} %{redirect_url}' "http://$(docker inspect --format '{{(index .NetworkSettings.Networks "mrsk").IPAddress}}' app-web-999):3000/up"`;
const PULL = [
  "docker login --username user --password-stdin",
  `${audit("Pulled image with version 999")} && docker pull dhh/app:999`,
];
const AFTER_BOOT = [
  `${audit("Tagging dhh/app:999 as the latest image")} && docker tag dhh/app:999 dhh/app:latest`,
  `${audit("Pruned containers")} ; docker ps --quiet --all --filter label=service=app --filter label=destination= --filter status=created --filter status=exited --filter status=dead | tail -n +6 | xargs --no-run-if-empty docker rm`,
  `${audit("Pruned images")} ; docker image prune --force --filter label=service=app`,
  "docker image ls --filter label=service=app --format '{{.ID}} {{.Repository}}:{{.Tag}}'",
  "docker container ls --all --filter label=service=app --format '{{.Image}}'",
];
const BOOT_DB = [
  "docker container inspect --format '{{.State.Status}}' app-db",
  `${ENSURE} ; mkdir -p app-db app-db/data`,
  audit("Booted db accessory"),
  'docker run --name app-db --detach --restart unless-stopped --network mrsk --log-opt max-size=10m --volume "${PWD}/app-db/data:/var/lib/mysql" --label service=app-db mysql:8',
];

/** The fleet's hosts answering: the web probe gets 200, the jobs container runs (or `jobs` says how it is). */
function fleetContext(config = fleet, state: Record<string, HostState> = {}, jobs = "running 0") {
  const ctx = operateContext(config, state);
  dryRunOf(ctx).answer("1.1.1.1", (l) => l.startsWith("curl "), "200 0.003 ");
  dryRunOf(ctx).answer("1.1.1.2", (l) => l.startsWith("docker inspect --format '{{.Name}}"), `/app-jobs-999 ${jobs}`);
  return ctx;
}

const lines = (ctx: TestFlowContext, host: string) => commandsOn(ctx, host).map((l) => l.replace(/--hostname (\S+)-[0-9a-f]{12}/, "--hostname $1-HEX"));

describe("a fleet with a role without a proxy and an accessory on hosts of their own", () => {
  it("setup creates the network on every host in a command it runs anyway, and boots each host's containers on it", async () => {
    const ctx = fleetContext();
    await setup(ctx, { skipPush: true });
    expect(lines(ctx, "1.1.1.1")).toEqual([
      LOCK,
      "docker version >/dev/null 2>&1",
      ...PULL,
      `${ENSURE} ; mkdir -p .mrsk/proxy/sites .mrsk/proxy/certs .mrsk/proxy/live ; docker container inspect --format '{{.State.Running}}' mrsk-proxy 2>/dev/null ; head -qn1 .mrsk/proxy/Caddyfile .mrsk/proxy/sites/*.caddy 2>/dev/null ; true`,
      "upload .mrsk/proxy/Caddyfile (mode 644)",
      "upload .mrsk/proxy/sites/app-web.caddy (mode 644)",
      'docker container start mrsk-proxy 2>/dev/null || docker run --name mrsk-proxy --network mrsk --detach --restart unless-stopped --publish 80:80 --publish 443:443 --volume "${PWD}/.mrsk/proxy:/etc/caddy" --volume mrsk-proxy-data:/data --volume mrsk-proxy-config:/config --env XDG_DATA_HOME=/data --env XDG_CONFIG_HOME=/config --label mrsk-proxy=true --log-opt max-size=10m caddy:2 caddy run --config /etc/caddy/Caddyfile --adapter caddyfile',
      PLAN,
      `${audit("Booted app version 999", "web")} && ${RUN_WEB}`,
      PROBE_WEB,
      "ls -1 .mrsk/proxy/live 2>/dev/null ; true",
      "docker network disconnect mrsk app-web-999 && docker network connect --alias app-web.live-b mrsk app-web-999 && mkdir -p .mrsk/proxy/live && touch .mrsk/proxy/live/app-web.b",
      ...AFTER_BOOT,
      UNLOCK,
    ]);
    expect(lines(ctx, "1.1.1.2")).toEqual([
      "docker version >/dev/null 2>&1",
      ...PULL,
      PLAN,
      `${audit("Booted app version 999", "jobs")} && ${RUN_JOBS}`,
      HEALTH("app-jobs-999"),
      ...AFTER_BOOT,
    ]);
    expect(lines(ctx, "1.1.1.3")).toEqual(["docker version >/dev/null 2>&1", "docker login --username user --password-stdin", ...BOOT_DB]);
  });

  it("deploy of a service whose only role has no proxy creates the network on a fresh host and starts no proxy", async () => {
    const ctx = fleetContext(workerOnly);
    await deploy(ctx, { skipPush: true });
    expect(lines(ctx, "1.1.1.2")).toEqual([
      LOCK,
      ...PULL,
      PLAN,
      `${audit("Booted app version 999", "jobs")} && ${RUN_JOBS}`,
      HEALTH("app-jobs-999"),
      ...AFTER_BOOT,
      UNLOCK,
    ]);
  });

  it("app boot and rollback make sure of the network in the same round trip that reads the host's containers", async () => {
    const deployed: Record<string, HostState> = {
      "1.1.1.1": { containers: [["app-web-998", "running", "web"]], images: [["a", "998"], ["b", "999"], ["b", "latest"]] },
      "1.1.1.2": { containers: [["app-jobs-998", "running", "jobs"]], images: [["a", "998"], ["b", "999"], ["b", "latest"]] },
    };
    for (const run of [(ctx: TestFlowContext) => bootApp(ctx), (ctx: TestFlowContext) => rollback(ctx, "999", {})]) {
      const ctx = fleetContext(fleet, deployed);
      await run(ctx);
      // The proxy host's files are read first (a host set up by an earlier release may route without slots).
      expect(lines(ctx, "1.1.1.1").filter((l) => l.includes("docker network inspect"))).toEqual([PROXY_PREPARE, PLAN]);
      expect(lines(ctx, "1.1.1.2").filter((l) => l.includes("docker network inspect"))).toEqual([PLAN]);
      expect(lines(ctx, "1.1.1.2")).toContain(`${audit("Booted app version 999", "jobs")} && ${RUN_JOBS}`);
      expect(lines(ctx, "1.1.1.2")).toContain("docker stop -t 30 app-jobs-998");
    }
  });

  it("a jobs container that dies at start rolls back every host, web included, and frees the lock", async () => {
    const running998: Record<string, HostState> = {
      "1.1.1.1": { containers: [["app-web-998", "running", "web"]] },
      "1.1.1.2": { containers: [["app-jobs-998", "running", "jobs"]] },
    };
    for (const jobs of ["restarting 0", "running 1"]) {
      const ctx = fleetContext(fleet, running998, jobs);
      const error = await deploy(ctx, { skipPush: true }).catch((e: Error) => e);
      expect((error as Error).message).toMatch(/^app-jobs-999 on 1\.1\.1\.2 did not become healthy \(exited after starting, restart count [01]\); every host stays on the previous version/);
      expect(lines(ctx, "1.1.1.2").slice(-3)).toEqual([
        HEALTH("app-jobs-999"),
        "docker inspect --format '{{json .State}} {{.RestartCount}}' app-jobs-999 ; docker logs --tail 30 app-jobs-999 2>&1",
        "docker start app-jobs-998 ; docker rm --force app-jobs-999",
      ]);
      const web = lines(ctx, "1.1.1.1");
      expect(web.some((l) => l.startsWith("docker network disconnect") || l.startsWith("docker stop") || l.includes("docker tag"))).toBe(false);
      expect(web.slice(-2)).toEqual(["docker start app-web-998 ; docker rm --force app-web-999", UNLOCK]);
    }
  });

  it("a container without a health check that keeps running for readiness_delay is healthy, one that died once is not", async () => {
    const ok = fleetContext(workerOnly, {}, "running 0");
    await deploy(ok, { skipPush: true });
    expect(lines(ok, "1.1.1.2")).toContain(HEALTH("app-jobs-999"));
    const died = fleetContext(workerOnly, {}, "running 2");
    await expect(deploy(died, { skipPush: true })).rejects.toThrow("did not become healthy (exited after starting, restart count 2)");
  });

  it("the release command runs on the network too, made sure of in its own round trip", async () => {
    const withRelease = configFrom(`${FLEET}release_command: bin/rails db:migrate\n`, { env: SECRETS });
    const ctx = fleetContext(withRelease);
    await deploy(ctx, { skipPush: true });
    expect(lines(ctx, "1.1.1.1")).toContain(
      `${ENSURE} && ${audit("Ran release command for version 999", "web")} && docker run --rm --network mrsk ${TOOL_ENV("app-web-999", "1.1.1.1")} dhh/app:999 bin/rails db:migrate`,
    );
  });

  it("accessory boot and reboot create the network the accessory joins by default", async () => {
    const booted = operateContext(fleet);
    await bootAccessory(booted, "db");
    expect(lines(booted, "1.1.1.3")).toEqual(BOOT_DB);
    const rebooted = operateContext(fleet);
    await rebootAccessory(rebooted, "db");
    expect(lines(rebooted, "1.1.1.3")).toEqual([
      `${audit("Rebooted db accessory")} && docker container stop app-db >/dev/null 2>&1 ; docker container rm app-db >/dev/null 2>&1 ; true`,
      ...BOOT_DB,
    ]);
  });

  it("accessory exec in a new container makes sure of the network with its audit line, not with --reuse", async () => {
    const fresh = operateContext(fleet);
    await execAccessory(fresh, "db", { line: "mysqldump app", reuse: false, interactive: false, env: {} });
    expect(lines(fresh, "1.1.1.3")).toEqual([
      `${ENSURE} ; ${audit("Executed cmd 'mysqldump app' on db accessory")}`,
      'docker run --rm --network mrsk --volume "${PWD}/app-db/data:/var/lib/mysql" mysql:8 mysqldump app',
    ]);
    const reused = operateContext(fleet);
    await execAccessory(reused, "db", { line: "mysqladmin status", reuse: true, interactive: false, env: {} });
    expect(lines(reused, "1.1.1.3")).toEqual([audit("Executed cmd 'mysqladmin status' on db accessory"), "docker exec app-db mysqladmin status"]);
  });

  it("an accessory's own network is used as given and not created", async () => {
    const own = configFrom(FLEET.replace("    image: mysql:8\n", "    image: mysql:8\n    network: private\n"), { env: SECRETS });
    const ctx = operateContext(own);
    await bootAccessory(ctx, "db");
    expect(lines(ctx, "1.1.1.3").slice(1)).toEqual([
      "mkdir -p app-db app-db/data",
      audit("Booted db accessory"),
      'docker run --name app-db --detach --restart unless-stopped --network private --log-opt max-size=10m --volume "${PWD}/app-db/data:/var/lib/mysql" --label service=app-db mysql:8',
    ]);
  });

  it("app exec -r jobs runs a new container on the network, made sure of with the audit line", async () => {
    const ctx = operateContext(fleet, { "1.1.1.2": { images: [["b", "999"], ["b", "latest"]] } }, { filters: { roles: "jobs" } });
    await execApp(ctx, { line: "bin/jobs --once", reuse: false, interactive: false, env: {} });
    expect(lines(ctx, "1.1.1.2")).toEqual([
      "docker image ls dhh/app --format '{{.ID}} {{.Tag}}'",
      `${ENSURE} ; ${audit("Executed cmd 'bin/jobs --once' on app version 999", "jobs")}`,
      `docker run --rm --network mrsk ${TOOL_ENV("app-jobs-999", "1.1.1.2")} dhh/app:999 bin/jobs --once`,
    ]);
  });

  it("remove takes the network off every host where no container is left on it, and says so first", async () => {
    const ctx = operateContext(fleet);
    await removeEverything(ctx, { yes: true });
    const last = `test -z "$(docker ps --all --quiet --filter network=mrsk)" && docker network rm mrsk >/dev/null 2>&1 || true ; rm -rf .mrsk/app`;
    expect(lines(ctx, "1.1.1.1").slice(-2)).toEqual([last, UNLOCK]);
    for (const host of ["1.1.1.2", "1.1.1.3"]) expect(lines(ctx, host).at(-1)).toBe(last);
    expect(results(ctx)[0]).toContain("  1.1.1.3:\n    accessory db:");
    expect(results(ctx)[0]!.match(/the mrsk docker network, unless another container is attached to it/g)).toHaveLength(3);
  });
});

describe("the same fleet under Traefik (MRSK 0.13)", () => {
  const traefikFleet = configFrom(
    `${MRSK_MINIMAL.replace("servers:\n  - 1.1.1.1\n  - 1.1.1.2\n", "servers:\n  web:\n    - 1.1.1.1\n  jobs:\n    hosts: [1.1.1.2]\n    cmd: bin/jobs\n")}readiness_delay: 0\ntraefik:\n  args:\n    providers.providersThrottleDuration: 0s\naccessories:\n  db:\n    image: mysql:8\n    host: 1.1.1.3\n`,
    { env: MRSK_SECRETS },
  );

  it("no host creates, joins or removes a network: containers stay on Docker's default bridge", async () => {
    const ctx = operateContext(traefikFleet);
    const t = dryRunOf(ctx);
    t.answer("1.1.1.1", (l) => l.startsWith("docker inspect --format '{{.Name}}"), "/app-web-999 healthy 0");
    t.answer("1.1.1.2", (l) => l.startsWith("docker inspect --format '{{.Name}}"), "/app-jobs-999 running 0");
    await setup(ctx, { skipPush: true });
    const removal = operateContext(traefikFleet);
    await removeEverything(removal, { yes: true });
    for (const host of ["1.1.1.1", "1.1.1.2", "1.1.1.3"]) {
      expect([...lines(ctx, host), ...lines(removal, host)].filter((l) => l.includes("network"))).toEqual([]);
    }
    expect(lines(ctx, "1.1.1.2")).toContain(`mkdir -p .mrsk/app/env/roles ; ${PS_ALL}`);
    expect(lines(ctx, "1.1.1.3")).toContain("docker run --name app-db --detach --restart unless-stopped --log-opt max-size=10m --label service=app-db mysql:8");
  });
});
