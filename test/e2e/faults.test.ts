import { execFile } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeLoad, getOnce, startLoad } from "../../tools/load.mjs";
import { createProject, proxyConfig, resetHosts, MrskRuns, type Project } from "./support/project.js";
import { RIG_SCRIPT, httpGet, inHost, onHost, rigUp, type CommandResult, type RigState } from "./support/rig.js";

// Faults in the middle of a deploy on two real hosts (Caddy driver, app on h1 and h2, an
// accessory on h2). After each: every host serves one version (the old one unless the new one was
// switched everywhere), the deploy lock is free, the accessory's data is still there, and mrsk's
// message names the host and the cause. SSH liveness is shortened through the OpenSSH config
// (ServerAliveInterval 1, ConnectTimeout 3), as a user would for a fast failure.

const SERVICE = "faults";
const SITE = "faults.test";
const ADDRESSES = ["10.213.0.11", "10.213.0.12"] as const;

let rig: RigState;
let project: Project;
const runs = new MrskRuns(() => project, () => rig);
const { mrsk } = runs;
/** A failing test restores the faults it injected first. */
const reportOnFailure = (): void => runs.reportOnFailure(() => Promise.all([1, 2].map((i) => rigCommand(["fault", "restore", String(i)]))));

function rigCommand(args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(RIG_SCRIPT, [...args, "--state", rig.stateDir], { timeout: 60_000, encoding: "utf8" }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 255, stdout, stderr });
    });
  });
}

/** What the proxy on each host serves for the app (asked from this machine, through port 80). */
async function serving(): Promise<string[]> {
  return Promise.all(ADDRESSES.map((a) => servingOn(a)));
}

/** Retries a refused connection for a while: a proxy restarted with its dockerd takes a moment. */
async function servingOn(address: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await httpGet(address, "/version", { host: SITE })).body.trim();
    } catch (error) {
      if (attempt >= 20) return `unreachable: ${(error as Error).message}`;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The versions of the app's running web containers on each host: one each, or the fleet is mixed. */
async function runningVersions(): Promise<string[]> {
  return Promise.all(
    [1, 2].map(async (i) => {
      const names = (await onHost(i, `docker ps --filter label=service=${SERVICE} --filter label=role=web --format '{{.Names}}'`)).stdout.trim().split("\n");
      return names.map((n) => n.replace(`${SERVICE}-web-`, "")).join(",");
    }),
  );
}

async function lockStatus(): Promise<string> {
  return (await mrsk(["lock", "status"])).output;
}

/**
 * A hook of the project: `pre-build` runs after the registry login on every host, before the
 * build and the pull; `pre-deploy` after the pull, right before the proxy and the boot.
 */
function hook(name: "pre-build" | "pre-deploy", script: string | undefined): void {
  const file = path.join(project.dir, ".kamal/hooks", name);
  if (script === undefined) return rmSync(file, { force: true });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

/** The app on h1 and h2 behind Caddy, an accessory with a data directory on h2; optionally another health path. */
function config(healthPath?: string): string {
  const yaml = proxyConfig(rig, SERVICE, {
    host: SITE,
    extra: ["lock:", "  ttl: 3", "accessories:", "  store:", `    image: ${rig.images.counter}`, `    host: ${ADDRESSES[1]}`, "    directories:", "      - data:/data"].join("\n"),
  });
  return healthPath === undefined ? yaml : yaml.replace("  app_port: 3000\n", `  app_port: 3000\n  healthcheck:\n    path: ${healthPath}\n    timeout: 10\n`);
}

beforeAll(async () => {
  rig = await rigUp({ hosts: 2 });
  await resetHosts(rig);
  project = createProject(rig, SERVICE);
  project.writeConfig(config());
  // Found dead within ~4 s (1 s keepalives, ssh2's 3 unanswered), unreachable within 3 s.
  writeFileSync(path.join(project.home, ".ssh/config"), "Host *\n  ServerAliveInterval 1\n  ConnectTimeout 3\n");
}, 240_000);

afterAll(async () => {
  if (rig !== undefined) {
    await Promise.all([1, 2].map((i) => rigCommand(["fault", "restore", String(i)])));
    await resetHosts(rig);
  }
  project?.remove();
});

describe("faults during setup and deploy", () => {
  it("setup with the accessory host unreachable stops before any host changes, naming it", async () => {
    reportOnFailure();
    expect((await rigCommand(["fault", "drop", "2"])).code).toBe(0);
    const failed = await mrsk(["setup"], { VERSION: "v1" });
    expect((await rigCommand(["fault", "restore", "2"])).code).toBe(0);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain("10.213.0.12");
    expect(failed.stderr).toMatch(/no SSH handshake|timed out|timeout/i);
    const h1 = await onHost(1, "docker ps -a --format '{{.Names}}'; ls .mrsk");
    expect(h1.stdout).not.toMatch(/faults|mrsk-proxy/);

    const setup = await mrsk(["setup"], { VERSION: "v1" });
    expect(setup.exitCode, setup.output).toBe(0);
    expect(await serving()).toEqual(["v1", "v1"]);
    expect((await onHost(2, "echo kept > faults-store/data/marker && cat faults-store/data/marker")).stdout.trim()).toBe("kept");
  }, 60_000);

  it("a registry refusing one host during the pull leaves every host on the old version, naming the host", async () => {
    reportOnFailure();
    hook("pre-build", `"${RIG_SCRIPT}" fault registry 2 --state "${rig.stateDir}" 2>/dev/null`);
    const failed = await mrsk(["deploy"], { VERSION: "v2" });
    hook("pre-build", undefined);
    expect((await rigCommand(["fault", "restore", "2"])).code).toBe(0);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/10\.213\.0\.12[\s\S]*(connection refused|connection reset)/);
    expect(await serving()).toEqual(["v1", "v1"]);
    expect(await runningVersions()).toEqual(["v1", "v1"]);
    expect(await lockStatus()).toContain("There is no deploy lock");
  }, 60_000);

  it("a host that stops answering mid-boot fails the deploy in seconds, naming it; the other host is rolled back; the next deploy recovers", async () => {
    reportOnFailure();
    // A health probe answered after 5 s (within the probe's 10 s timeout) holds the boot long enough
    // to drop h2 once its new container runs, even on a loaded machine.
    project.writeConfig(config("/cgi-bin/slow?seconds=5"));
    const rigCli = `"${RIG_SCRIPT}"`;
    const state = `--state "${rig.stateDir}"`;
    const watch = `for i in $(seq 400); do if ${rigCli} exec ${state} 2 docker ps -q --filter name=${SERVICE}-web-v2 | grep -q .; then ${rigCli} fault drop 2 ${state}; exit 0; fi; sleep 0.05; done`;
    hook("pre-deploy", `setsid sh -c '${watch}' </dev/null >/dev/null 2>&1 &`);
    const started = Date.now();
    const failed = await mrsk(["deploy"], { VERSION: "v2" });
    const seconds = (Date.now() - started) / 1000;
    hook("pre-deploy", undefined);
    project.writeConfig(config());
    expect((await rigCommand(["fault", "restore", "2"])).code).toBe(0);
    console.log(`deploy with a host dropped mid-boot failed after ${seconds.toFixed(1)} s:\n${failed.stderr.trim().split("\n").slice(0, 3).join("\n")}`);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/10\.213\.0\.12[^\n]*(Keepalive timeout|connection is closed)/);
    expect(await serving()).toEqual(["v1", "v1"]);
    expect((await runningVersions())[0]).toBe("v1");
    expect(await lockStatus()).toContain("There is no deploy lock");

    // h2 still runs the new container mrsk could not remove; the next deploy stops it with the old one.
    const next = await mrsk(["deploy"], { VERSION: "v2" });
    expect(next.exitCode, next.output).toBe(0);
    expect(await serving()).toEqual(["v2", "v2"]);
    expect(await runningVersions()).toEqual(["v2", "v2"]);
  }, 90_000);

  it("dockerd restarting on a host mid-deploy ends with every host on one version and the lock free", async () => {
    reportOnFailure();
    // In the background, so that the restart overlaps the boot that follows the hook.
    hook("pre-deploy", `setsid sh -c 'sleep 0.3; "${RIG_SCRIPT}" restart-dockerd 2 --state "${rig.stateDir}"' </dev/null >/dev/null 2>&1 &`);
    const deployed = await mrsk(["deploy"], { VERSION: "v3" });
    hook("pre-deploy", undefined);
    for (let i = 0; i < 100 && (await inHost(2, ["docker", "info", "--format", "{{.ID}}"])).code !== 0; i++) await new Promise((r) => setTimeout(r, 300));
    console.log(`deploy during a dockerd restart: exit ${deployed.exitCode}\n${deployed.stderr.trim().split("\n").slice(0, 3).join("\n")}`);
    const version = deployed.exitCode === 0 ? "v3" : "v2";
    if (deployed.exitCode !== 0) expect(deployed.stderr).toMatch(/10\.213\.0\.12[^\n]*(Docker daemon|dockerd does not answer)/);
    expect(await serving()).toEqual([version, version]);
    expect(await runningVersions()).toEqual([version, version]);
    expect(await lockStatus()).toContain("There is no deploy lock");
    expect((await onHost(2, "cat faults-store/data/marker")).stdout.trim()).toBe("kept");
  }, 120_000);
  it("mrsk killed with SIGKILL after the switch, while the old container drains: the next deploy takes the lock over after the ttl, points traffic back first and loses no request", async () => {
    reportOnFailure();
    const loads = ADDRESSES.map((address) => startLoad({ address, path: "/version", postPath: "/cgi-bin/whoami", host: SITE, connections: 4 }));
    // In flight to h1's serving container across the switch: its drain lasts until this ends. 25 s
    // (within drain_timeout and Caddy's response_timeout, 30 s each) so the kill comes during the
    // drain however slowly a loaded machine gets the deploy to the switch.
    const slow = getOnce(ADDRESSES[0], "/cgi-bin/slow?seconds=25", SITE);
    await delay(300);
    const child = project.spawn(["deploy"], { VERSION: "v4" });
    let output = "";
    child.all!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 1200 && !output.includes("Switching traffic"); i++) await delay(50);
    await delay(1500);
    child.kill("SIGKILL");
    await child;
    runs.last = { exitCode: 137, stdout: "", stderr: "", output };
    expect(output).toContain("Switching traffic to faults-web-v4");

    const next = await mrsk(["deploy", "--lock-wait", "30"], { VERSION: "v5" });
    const results = await Promise.all(loads.map((l) => l.stop()));
    results.forEach((r, i) => console.log(`load on ${ADDRESSES[i]} across the kill and the takeover: ${describeLoad(r)}`));
    expect(next.exitCode, next.output).toBe(0);
    expect(next.output).toMatch(/Took over the expired deploy lock held by e2e \(since \S+, version v4/);
    expect(next.output).toMatch(/Removing faults-web-v4 left by the dead deploy of v4/);
    for (const r of results) {
      expect(r.failures).toBe(0);
      expect(r.posts).toBeGreaterThan(20);
    }
    expect((await slow).status).toBe(200);
    expect(await serving()).toEqual(["v5", "v5"]);
    expect(await runningVersions()).toEqual(["v5", "v5"]);
    expect(await lockStatus()).toContain("There is no deploy lock");
    expect((await onHost(2, "cat faults-store/data/marker")).stdout.trim()).toBe("kept");
  }, 120_000);
});
