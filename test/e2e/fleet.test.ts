import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOn, createProject, resetHosts, rigBasics, MrskRuns, type Project } from "./support/project.js";
import { httpGet, onHost, rigUp, type RigState } from "./support/rig.js";

// A fleet from bare hosts, the shape the MRSK articles describe: two web hosts behind the proxy,
// a jobs host whose role has no proxy (its own cmd, a heartbeat loop), a database host with an
// accessory keeping its data in a directory. Nothing but the web hosts runs a proxy, so the jobs
// and database hosts get the `mrsk` network from mrsk itself. Then the same shape under the
// Traefik stand-in, for the lifecycle only (the stand-in routes nothing).

const [WEB1, WEB2, JOBS, DB] = ["10.213.0.11", "10.213.0.12", "10.213.0.13", "10.213.0.14"] as const;
const HOSTS = [1, 2, 3, 4];
// Exits at once when JOBS_FAIL is set, which only the failing deploy does; stops within a second.
const JOBS_CMD = `sh -c 'test -z "$JOBS_FAIL" || exit 3; trap "exit 0" TERM; while true; do date +%s > /tmp/heartbeat; sleep 1; done'`;
let rig: RigState;
let project: Project;
const runs = new MrskRuns(() => project, () => rig);
const { mrsk, reportOnFailure } = runs;

function fleetServers(): string[] {
  return ["servers:", "  web:", "    hosts:", `      - ${WEB1}`, `      - ${WEB2}`, "  jobs:", "    hosts:", `      - ${JOBS}`, `    cmd: ${JOBS_CMD}`];
}

function counter(state: RigState): string[] {
  return ["accessories:", "  counter:", `    image: ${state.images.counter}`, `    host: ${DB}`, "    directories:", "      - data:/data"];
}

function caddyFleet(state: RigState): string {
  return [
    "service: fleet",
    "image: mrsk-e2e/fleet",
    ...fleetServers(),
    "    proxy: false",
    "    env:",
    "      clear:",
    `        JOBS_FAIL: '<%= ENV["JOBS_FAIL"] %>'`,
    ...rigBasics(state),
    "env:",
    "  secret:",
    "    - APP_SECRET",
    "proxy:",
    "  app_port: 3000",
    "  run:",
    `    image: ${state.images.caddy}`,
    "    tls_issuer: internal",
    "deploy_timeout: 10",
    "readiness_delay: 2",
    ...counter(state),
    "",
  ].join("\n");
}

function traefikFleet(state: RigState): string {
  return [
    "service: fleetmrsk",
    "image: mrsk-e2e/fleetmrsk",
    ...fleetServers(),
    ...rigBasics(state),
    "env:",
    "  secret:",
    "    - APP_SECRET",
    "traefik:",
    // Pulled from the rig's registry, so removing it leaves the hosts' preloaded traefik:v2.9 alone.
    `  image: ${state.images.traefikStandInInRegistry}`,
    "  args:",
    "    providers.providersThrottleDuration: 0s",
    "readiness_delay: 1",
    ...counter(state),
    "",
  ].join("\n");
}

async function out(index: number, command: string): Promise<string> {
  return (await onHost(index, command)).stdout.trim();
}

async function webVersions(): Promise<string[]> {
  return Promise.all([WEB1, WEB2].map(async (address) => (await httpGet(address, "/version")).body.trim()));
}

async function networksOn(index: number): Promise<string> {
  return out(index, "docker network ls --format '{{.Name}}' | sort | tr '\\n' ' '");
}

/** What is left of a service on a host: containers, its images, networks, volumes, files. */
async function leftOn(index: number, images: RegExp): Promise<Record<string, string>> {
  const [containers, imageList, networks, volumes, files] = await Promise.all([
    out(index, "docker ps -aq"),
    out(index, "docker image ls --format '{{.Repository}}:{{.Tag}}'"),
    networksOn(index),
    out(index, "docker volume ls -q"),
    out(index, "find .mrsk -mindepth 1 2>/dev/null; ls -d fleet* 2>/dev/null; true"),
  ]);
  return { containers, images: imageList.split("\n").filter((i) => images.test(i)).join(" "), networks, volumes, files };
}

const NOTHING_LEFT = { containers: "", images: "", networks: "bridge host none", volumes: "", files: "" };

beforeAll(async () => {
  rig = await rigUp({ hosts: 4 });
  await resetHosts(rig);
  project = createProject(rig, "fleet");
  project.writeConfig(caddyFleet(rig));
});

afterAll(async () => {
  project?.remove();
  if (rig !== undefined) await resetHosts(rig);
});

describe("a fleet on hosts of their own, Caddy driver", () => {
  it("setup from bare hosts: web behind the proxy, jobs and the accessory on hosts without one, all on the mrsk network", async () => {
    reportOnFailure();
    const run = await mrsk(["setup"], { VERSION: "v1" });
    expect(run.exitCode).toBe(0);
    expect(await containersOn(1, "fleet")).toEqual({ "fleet-web-v1": "running" });
    expect(await containersOn(2, "fleet")).toEqual({ "fleet-web-v1": "running" });
    expect(await containersOn(3, "fleet")).toEqual({ "fleet-jobs-v1": "running" });
    expect(await containersOn(4, "fleet-counter")).toEqual({ "fleet-counter": "running" });
    expect(await webVersions()).toEqual(["v1", "v1"]);
    for (const i of HOSTS) expect(await networksOn(i)).toBe("bridge host mrsk none");
    for (const i of [3, 4]) expect(await out(i, "docker ps -aq --filter name=^mrsk-proxy$")).toBe("");
    expect(await out(3, "docker inspect --format '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}' fleet-jobs-v1")).toBe("mrsk");
    expect(await out(4, "docker inspect --format '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}' fleet-counter")).toBe("mrsk");
    expect(await out(3, "docker exec fleet-jobs-v1 cat /tmp/heartbeat")).toMatch(/^\d+$/);
  });

  it("deploy moves web and jobs to v2", async () => {
    reportOnFailure();
    expect((await mrsk(["deploy"], { VERSION: "v2" })).exitCode).toBe(0);
    expect(await webVersions()).toEqual(["v2", "v2"]);
    expect(await containersOn(3, "fleet")).toEqual({ "fleet-jobs-v2": "running", "fleet-jobs-v1": "exited" });
  });

  it("a deploy whose jobs container dies at start leaves web and jobs on v2 everywhere, the lock free", async () => {
    reportOnFailure();
    const run = await mrsk(["deploy"], { VERSION: "v3", JOBS_FAIL: "1" });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/fleet-jobs-v3 on 10\.213\.0\.13 did not become healthy \(exited after starting, restart count \d+\); every host stays on the previous version/);
    expect(await webVersions()).toEqual(["v2", "v2"]);
    for (const i of [1, 2]) expect(await containersOn(i, "fleet")).toEqual({ "fleet-web-v2": "running", "fleet-web-v1": "exited" });
    expect(await containersOn(3, "fleet")).toEqual({ "fleet-jobs-v2": "running", "fleet-jobs-v1": "exited" });
    const beat = await out(3, "docker exec fleet-jobs-v2 cat /tmp/heartbeat");
    for (let i = 0; i < 30 && (await out(3, "docker exec fleet-jobs-v2 cat /tmp/heartbeat")) === beat; i++) await delay(100);
    expect(await out(3, "docker exec fleet-jobs-v2 cat /tmp/heartbeat")).not.toBe(beat);
    expect(await out(1, "ls -d .mrsk/lock-fleet 2>/dev/null; true")).toBe("");
    expect((await mrsk(["lock", "status"])).stdout).toContain("There is no deploy lock");
  });

  it("app exec -r jobs runs on the jobs host only, in a new container on the mrsk network and in the running one", async () => {
    reportOnFailure();
    const fresh = await mrsk(["app", "exec", "-r", "jobs", `sh -c 'echo "exec:$MRSK_VERSION:$(grep -c 127.0.0.11 /etc/resolv.conf)"'`]);
    expect(fresh.exitCode).toBe(0);
    // Docker's embedded DNS (127.0.0.11) answers only on user-defined networks.
    expect(fresh.stdout).toContain(`[${JOBS}] exec:v2:1`);
    expect(fresh.stdout).not.toMatch(/\[10\.213\.0\.1[124]\]/);
    const reused = await mrsk(["app", "exec", "-r", "jobs", "--reuse", "cat /tmp/heartbeat"]);
    expect(reused.exitCode).toBe(0);
    expect(reused.stdout).toMatch(new RegExp(`\\[${JOBS.replaceAll(".", "\\.")}\\] \\d+`));
    expect(await containersOn(3, "fleet")).toEqual({ "fleet-jobs-v2": "running", "fleet-jobs-v1": "exited" });
  });

  it("accessory reboot replaces the container and keeps the data in its directory", async () => {
    reportOnFailure();
    const write = await mrsk(["accessory", "exec", "counter", "--reuse", "sh -c 'echo kept > /data/marker && cat /data/boots'"]);
    expect(write.exitCode).toBe(0);
    expect(write.stdout).toContain(`[${DB}] 1`);
    const before = await out(4, "docker inspect --format '{{.Id}}' fleet-counter");
    expect((await mrsk(["accessory", "reboot", "counter"])).exitCode).toBe(0);
    expect(await out(4, "docker inspect --format '{{.Id}}' fleet-counter")).not.toBe(before);
    for (let i = 0; i < 50 && (await out(4, "cat fleet-counter/data/boots")) !== "2"; i++) await delay(100);
    expect(await out(4, "cat fleet-counter/data/boots")).toBe("2");
    expect(await out(4, "docker exec fleet-counter cat /data/marker")).toBe("kept");
    expect(await out(4, "docker inspect --format '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}' fleet-counter")).toBe("mrsk");
  });

  it("remove -y leaves no container, image, network, volume or file of the service on any host", async () => {
    reportOnFailure();
    const run = await mrsk(["remove", "-y"]);
    expect(run.exitCode).toBe(0);
    // The images mrsk pulled on each host (the rig's shared images may be on other hosts from other tests).
    const ours = [`mrsk-e2e/fleet:|${rig.images.caddy}`, `mrsk-e2e/fleet:|${rig.images.caddy}`, "mrsk-e2e/fleet:", rig.images.counter];
    for (const i of HOSTS) expect({ host: i, ...(await leftOn(i, new RegExp(ours[i - 1]!))) }).toEqual({ host: i, ...NOTHING_LEFT });
  });
});

describe("the same fleet under the Traefik stand-in (MRSK 0.13: no network), lifecycle only", () => {
  it("setup, deploy and remove; no host gets a network, remove leaves nothing", async () => {
    reportOnFailure();
    project.writeConfig(traefikFleet(rig));
    expect((await mrsk(["setup"], { VERSION: "v1" })).exitCode).toBe(0);
    for (const i of [1, 2]) {
      expect(await containersOn(i, "fleetmrsk")).toEqual({ "fleetmrsk-web-v1": "running" });
      expect(await out(i, "docker ps --filter name=^traefik$ --format '{{.Image}}'")).toBe(rig.images.traefikStandInInRegistry);
    }
    expect(await containersOn(3, "fleetmrsk")).toEqual({ "fleetmrsk-jobs-v1": "running" });
    expect(await containersOn(4, "fleetmrsk-counter")).toEqual({ "fleetmrsk-counter": "running" });
    expect(await out(3, "docker inspect --format '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}' fleetmrsk-jobs-v1")).toBe("bridge");

    expect((await mrsk(["deploy"], { VERSION: "v2" })).exitCode).toBe(0);
    for (const i of [1, 2]) expect(await containersOn(i, "fleetmrsk")).toEqual({ "fleetmrsk-web-v2": "running", "fleetmrsk-web-v1": "exited" });
    expect(await containersOn(3, "fleetmrsk")).toEqual({ "fleetmrsk-jobs-v2": "running", "fleetmrsk-jobs-v1": "exited" });
    for (const i of HOSTS) expect(await networksOn(i)).toBe("bridge host none");

    expect((await mrsk(["remove", "-y"])).exitCode).toBe(0);
    const ours = [`mrsk-e2e/fleetmrsk:|${rig.images.traefikStandInInRegistry}`, `mrsk-e2e/fleetmrsk:|${rig.images.traefikStandInInRegistry}`, "mrsk-e2e/fleetmrsk:", rig.images.counter];
    for (const i of HOSTS) expect({ host: i, ...(await leftOn(i, new RegExp(ours[i - 1]!))) }).toEqual({ host: i, ...NOTHING_LEFT });
    for (const i of HOSTS) expect(await out(i, "docker image ls -q traefik:v2.9")).not.toBe("");
  });
});
