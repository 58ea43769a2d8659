import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onHost, rigUp, type RigState } from "./support/rig.js";
import { APP_SECRET, containersOn, createProject, resetHosts, sampleConfig, versionOn, MrskRuns, type Project } from "./support/project.js";

// The deploy lifecycle on two real hosts (sshd + dockerd each, a real registry with a password),
// with the Traefik driver. The rig's Traefik is a stand-in that routes nothing, so which version
// answers is asked of each host's app container directly, not through Traefik.

const SERVICE = "lifecycle";
let rig: RigState;
let project: Project;
const runs = new MrskRuns(() => project, () => rig);
const { mrsk, reportOnFailure } = runs;

async function versionsEverywhere(): Promise<string[]> {
  return Promise.all([versionOn(1, SERVICE), versionOn(2, SERVICE)]);
}

beforeAll(async () => {
  rig = await rigUp({ hosts: 2 });
  await resetHosts(rig);
  // Other test files deploy the same image repository: their versions must not show in this
  // file's list of versions available for a rollback.
  await Promise.all([1, 2].map((i) => onHost(i, `docker image ls -q ${rig.registry.server}/mrsk-e2e/sample | sort -u | xargs -r docker rmi -f >/dev/null 2>&1; true`)));
  project = createProject(rig, SERVICE);
  project.writeConfig(sampleConfig(rig, SERVICE));
});

afterAll(async () => {
  project?.remove();
  await resetHosts(rig);
});

describe("deploy lifecycle (Traefik driver, Traefik itself is a stand-in)", () => {
  it("setup from nothing boots v1 on every host, with secrets only in a 0600 env file", async () => {
    reportOnFailure();
    const run = await mrsk(["setup"], { VERSION: "v1" });
    expect(run.exitCode).toBe(0);
    expect(await versionsEverywhere()).toEqual(["v1", "v1"]);
    for (const i of [1, 2]) {
      expect(await containersOn(i, SERVICE)).toEqual({ "lifecycle-web-v1": "running" });
      expect((await onHost(i, "stat -c %a .mrsk/lifecycle/env/roles/web.env")).stdout.trim()).toBe("600");
      const env = await onHost(i, `docker exec lifecycle-web-v1 sh -c 'echo "$APP_SECRET|$GREETING|$MRSK_VERSION"'`);
      expect(env.stdout.trim()).toBe(`${APP_SECRET}|hello|v1`);
      expect((await onHost(i, "docker inspect --format '{{.Path}} {{.Args}}' lifecycle-web-v1")).stdout).not.toContain(APP_SECRET);
      expect((await onHost(i, "docker ps --filter name=^traefik$ --format '{{.Image}}'")).stdout.trim()).toBe("traefik:v2.9");
    }
    expect(run.output).not.toContain(APP_SECRET);
    expect(run.output).not.toContain(rig.registry.password);
    expect((await onHost(1, "cat .mrsk/lifecycle/audit.log")).stdout).not.toContain(APP_SECRET);
  });

  it("deploy v2 switches every host, keeping v1 stopped for rollback", async () => {
    reportOnFailure();
    expect((await mrsk(["deploy"], { VERSION: "v2" })).exitCode).toBe(0);
    expect(await versionsEverywhere()).toEqual(["v2", "v2"]);
    for (const i of [1, 2]) expect(await containersOn(i, SERVICE)).toEqual({ "lifecycle-web-v2": "running", "lifecycle-web-v1": "exited" });
  });

  it("redeploy v3 switches every host", async () => {
    reportOnFailure();
    expect((await mrsk(["redeploy"], { VERSION: "v3" })).exitCode).toBe(0);
    expect(await versionsEverywhere()).toEqual(["v3", "v3"]);
  });

  it("rollback v1 boots v1 again everywhere without pulling", async () => {
    reportOnFailure();
    const run = await mrsk(["rollback", "v1"]);
    expect(run.exitCode).toBe(0);
    expect(await versionsEverywhere()).toEqual(["v1", "v1"]);
    expect(run.output).not.toMatch(/Pulling/);
    expect((await onHost(1, "tail -n 3 .mrsk/lifecycle/audit.log")).stdout).toMatch(/Booted app version v1/);
  });

  it("rollback to a version no host has is refused with the versions available", async () => {
    reportOnFailure();
    const run = await mrsk(["rollback", "v0"]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain("Version v0 is not available on 10.213.0.11, 10.213.0.12; nothing was changed");
    expect(run.stderr).toMatch(/versions available on every host: v1, v2, v3/);
    expect(await versionsEverywhere()).toEqual(["v1", "v1"]);
  });

  it("a failing health check leaves every host on the old version, the lock free, and exits non-zero", async () => {
    reportOnFailure();
    const run = await mrsk(["deploy"], { VERSION: "v4", BROKEN: "1" });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/lifecycle-web-v4 on 10\.213\.0\.1[12] did not become healthy \(unhealthy\); every host stays on the previous version/);
    expect(run.stderr).toContain("curl: (22)");
    expect(run.stderr).toContain("broken: /up answers 404");
    expect(await versionsEverywhere()).toEqual(["v1", "v1"]);
    for (const i of [1, 2]) expect(Object.keys(await containersOn(i, SERVICE))).not.toContain("lifecycle-web-v4");
    expect((await mrsk(["lock", "status"])).stdout).toContain("There is no deploy lock");
  });

  it("a held lock refuses a deploy with its details, and lock release frees it", async () => {
    reportOnFailure();
    expect((await mrsk(["lock", "acquire", "-m", "Upgrading the database"])).exitCode).toBe(0);
    const refused = await mrsk(["deploy", "-P"], { VERSION: "v2" });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/Deploy lock found on 10\.213\.0\.11, held for \d+s:\n\s+Locked by: .+\n\s+Version: .+\n\s+Message: Upgrading the database/);
    expect(await versionsEverywhere()).toEqual(["v1", "v1"]);
    expect((await mrsk(["lock", "release"])).exitCode).toBe(0);
    expect((await mrsk(["deploy", "-P"], { VERSION: "v2" })).exitCode).toBe(0);
    expect(await versionsEverywhere()).toEqual(["v2", "v2"]);
  });

  it("two deploys started at the same moment: exactly one proceeds", async () => {
    reportOnFailure();
    const [a, b] = await Promise.all([project.mrsk(["deploy", "-P"], { VERSION: "v3" }), project.mrsk(["deploy", "-P"], { VERSION: "v1" })]);
    runs.last = { exitCode: a.exitCode, stdout: a.stdout + b.stdout, stderr: a.stderr + b.stderr, output: `${a.output}\n---\n${b.output}` };
    const exits = [a.exitCode, b.exitCode].sort();
    expect(exits).toEqual([0, 1]);
    const loser = a.exitCode === 1 ? a : b;
    expect(loser.stderr).toContain("Deploy lock found");
    const winner = a.exitCode === 0 ? "v3" : "v1";
    expect(await versionsEverywhere()).toEqual([winner, winner]);
    expect((await mrsk(["lock", "status"])).stdout).toContain("There is no deploy lock");
  });

  it("an unreachable host stops the deploy before anything changes, naming the host", async () => {
    reportOnFailure();
    const before = await versionsEverywhere();
    project.writeConfig("servers:\n  - 10.213.0.11\n  - 10.213.0.12\n  - 10.213.0.99\n", "config/deploy.unreachable.yml");
    const run = await mrsk(["deploy", "-P", "-d", "unreachable"], { VERSION: "v2" });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/Could not connect to 10\.213\.0\.99/);
    expect(run.output).not.toContain("Acquiring the deploy lock");
    expect(await versionsEverywhere()).toEqual(before);
  });

  it("SIGINT while booting leaves the fleet on one version and the lock free", async () => {
    reportOnFailure();
    const before = await versionsEverywhere();
    const child = project.spawn(["deploy", "-P"], { VERSION: "v2" });
    let output = "";
    child.all!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    for (let i = 0; i < 600 && !output.includes("to be healthy"); i++) await delay(50);
    child.kill("SIGINT");
    const result = await child;
    runs.last = { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr), output };
    expect(result.exitCode).toBe(130);
    expect(output).toContain("SIGINT: stopping, rolling back and releasing the deploy lock");
    expect(await versionsEverywhere()).toEqual(before);
    for (const i of [1, 2]) {
      const running = Object.entries(await containersOn(i, SERVICE)).filter(([, state]) => state === "running");
      expect(running).toHaveLength(1);
    }
    expect((await mrsk(["lock", "status"])).stdout).toContain("There is no deploy lock");
  });

  it("a wrong registry password fails with a clear error and changes nothing", async () => {
    reportOnFailure();
    const wrong = createProject(rig, SERVICE, { registryPassword: "not-the-password" });
    wrong.writeConfig(sampleConfig(rig, SERVICE));
    try {
      const before = await versionsEverywhere();
      const run = await wrong.mrsk(["deploy", "-P"], { VERSION: "v3" });
      runs.last = run;
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(/Registry login to 10\.213\.0\.1:5000 as mrsk failed on 10\.213\.0\.1[12]/);
      expect(run.output).not.toContain("not-the-password");
      expect(await versionsEverywhere()).toEqual(before);
    } finally {
      wrong.remove();
    }
  });

  it("--dry-run prints every host's commands and changes nothing", async () => {
    reportOnFailure();
    const before = await Promise.all([containersOn(1, SERVICE), containersOn(2, SERVICE)]);
    const run = await mrsk(["deploy", "--dry-run"], { VERSION: "v9" });
    expect(run.exitCode).toBe(0);
    for (const host of ["10.213.0.11", "10.213.0.12"]) {
      expect(run.stdout).toMatch(new RegExp(`\\[${host.replaceAll(".", "\\.")}\\] \\$ .*&& docker pull 10\\.213\\.0\\.1:5000/mrsk-e2e/sample:v9 && docker inspect `));
      expect(run.stdout).toMatch(new RegExp(`\\[${host.replaceAll(".", "\\.")}\\] \\$ .*docker run --detach --restart unless-stopped --name lifecycle-web-v9`));
    }
    expect(run.stdout).toMatch(/\[localhost\] \$ docker buildx build .*-t 10\.213\.0\.1:5000\/mrsk-e2e\/sample:v9/);
    expect(await Promise.all([containersOn(1, SERVICE), containersOn(2, SERVICE)])).toEqual(before);
    const images = await project.mrsk(["server", "exec", "docker image ls --format '{{.Tag}}' 10.213.0.1:5000/mrsk-e2e/sample"]);
    expect(images.stdout).not.toContain("v9");
  });
});
