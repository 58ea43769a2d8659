import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOn, createProject, proxyConfig, resetHosts, versionOn, MrskRuns, type Project } from "./support/project.js";
import { httpGet, onHost, rigUp, type RigState } from "./support/rig.js";

// Failure that heals itself, on two real hosts with the Caddy driver: a deploy killed with SIGKILL
// leaves a lease that expires after `lock.ttl` (3 s here), and the next deploy takes it over and
// cleans up what the dead one left.

const SERVICE = "lease";
const ADDRESSES = ["10.213.0.11", "10.213.0.12"];
let rig: RigState;
let project: Project;
const runs = new MrskRuns(() => project, () => rig);
const { mrsk, reportOnFailure } = runs;

beforeAll(async () => {
  rig = await rigUp({ hosts: 2 });
  await resetHosts(rig);
  project = createProject(rig, SERVICE);
  project.writeConfig(proxyConfig(rig, SERVICE, { host: "lease.test", extra: "lock:\n  ttl: 3\n" }));
});

afterAll(async () => {
  project?.remove();
  await resetHosts(rig);
});

describe("lock leases", () => {
  it("a deploy killed with SIGKILL mid-boot leaves a lease that the next deploy takes over after the ttl, cleaning up, ending on one version", async () => {
    reportOnFailure();
    expect((await mrsk(["deploy"], { VERSION: "v1" })).exitCode).toBe(0);

    // v2 never becomes healthy (BROKEN=1), so the deploy is surely mid-boot when it is killed.
    const child = project.spawn(["deploy"], { VERSION: "v2", BROKEN: "1" });
    let output = "";
    child.all!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    for (let i = 0; i < 1200 && !output.includes("to be healthy"); i++) await delay(50);
    child.kill("SIGKILL");
    await child;
    runs.last = { exitCode: 137, stdout: "", stderr: "", output };
    expect(output).toContain("to be healthy");
    for (const i of [1, 2]) expect(Object.keys(await containersOn(i, SERVICE)).sort()).toEqual(["lease-web-v1", "lease-web-v2"]);

    const status = await mrsk(["lock", "status"]);
    expect(status.stdout).toMatch(/Version: v2\n.*Message: Automatic deploy lock[\s\S]*Last heartbeat: \d+s ago\n.*(Expires: in \d+s|Expired: \d+s ago)/);

    const next = await mrsk(["deploy", "--lock-wait", "60"], { VERSION: "v3" });
    expect(next.exitCode).toBe(0);
    expect(next.output).toMatch(/Took over the expired deploy lock held by e2e \(since \S+, version v2, Automatic deploy lock, last heartbeat \d+s ago, ttl 3s\)/);
    expect(next.output).toMatch(/Removing lease-web-v2 left by the dead deploy of v2/);
    for (const i of [1, 2]) {
      expect(await containersOn(i, SERVICE)).toEqual({ "lease-web-v3": "running", "lease-web-v1": "exited" });
      expect(await versionOn(i, SERVICE)).toBe("v3");
      expect((await onHost(i, "cat .mrsk/lease/audit.log")).stdout).toMatch(/Removed lease-web-v2 left by a dead deploy of v2/);
    }
    for (const address of ADDRESSES) expect((await httpGet(address, "/version", { host: "lease.test" })).body.trim()).toBe("v3");
    expect((await onHost(1, "cat .mrsk/lease/audit.log")).stdout).toMatch(/Took over the expired deploy lock held by e2e/);
    expect((await mrsk(["lock", "status"])).stdout).toContain("There is no deploy lock");
  });

  it("rollback without a version goes back to the version that served before, on both hosts, and app versions lists them", async () => {
    reportOnFailure();
    const versions = await mrsk(["app", "versions"]);
    expect(versions.exitCode).toBe(0);
    for (const address of ADDRESSES) {
      expect(versions.stdout).toMatch(new RegExp(`\\[${address.replaceAll(".", "\\.")}\\] v3  serving now \\(booted [^)]+\\)\n.*v1  booted `));
    }
    const back = await mrsk(["rollback"]);
    expect(back.exitCode).toBe(0);
    expect(back.output).toContain("Rolling back to v1, the version that served before v3 on 10.213.0.11, 10.213.0.12");
    for (const i of [1, 2]) expect(await versionOn(i, SERVICE)).toBe("v1");
    expect((await mrsk(["rollback"])).exitCode).toBe(0);
    for (const i of [1, 2]) expect(await versionOn(i, SERVICE)).toBe("v3");
  });

  it("a boot that fails shows, per host, the container's exit code and its last log lines, and leaves the old version", async () => {
    reportOnFailure();
    project.writeConfig(proxyConfig(rig, SERVICE, { host: "lease.test", extra: "lock:\n  ttl: 3\n" }).replace("env:\n", "env:\n  clear:\n    PORT: not-a-port\n"));
    try {
      const run = await mrsk(["deploy"], { VERSION: "v4" });
      expect(run.exitCode).toBe(1);
      for (const address of ADDRESSES) expect(run.stderr).toMatch(new RegExp(`lease-web-v4 on ${address.replaceAll(".", "\\.")} did not become healthy`));
      expect(run.stderr).toMatch(/State: (restarting, last exit code 1|exited with code 1|running, restarted \d+ times?)/);
      expect(run.stderr).toMatch(/hint: the container exits after it starts/);
      expect(run.stderr).toContain("sample app: httpd exited with status 1");
      expect(run.stderr).toMatch(/Last \d+ log lines:/);
      for (const i of [1, 2]) expect(await versionOn(i, SERVICE)).toBe("v3");
    } finally {
      project.writeConfig(proxyConfig(rig, SERVICE, { host: "lease.test", extra: "lock:\n  ttl: 3\n" }));
    }
  });

  it("lock status and release act on a host given with -h even when it left the configuration", async () => {
    reportOnFailure();
    await onHost(2, "mkdir -p .mrsk/lock-lease && echo $(printf 'Locked by: gone at 2026-01-01T00:00:00Z\\nVersion: v0\\nMessage: old host\\n' | base64 -w0) > .mrsk/lock-lease/details");
    project.writeConfig(proxyConfig(rig, SERVICE, { host: "lease.test", extra: "lock:\n  ttl: 3\n" }).replace("  - 10.213.0.12\n", ""));
    const status = await mrsk(["lock", "status", "-h", "10.213.0.12"]);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/\[10\.213\.0\.12\] .*Locked by: gone at 2026-01-01T00:00:00Z[\s\S]*Lease: none/);
    expect((await mrsk(["lock", "release", "-h", "10.213.0.12"])).exitCode).toBe(0);
    expect((await onHost(2, "test -e .mrsk/lock-lease && echo held || echo free")).stdout.trim()).toBe("free");
  });
});
