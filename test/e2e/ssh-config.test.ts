import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { inHost, onHost, readRigState, rigUp, type RigState } from "./support/rig.js";
import { createProject, type MrskRun, type Project } from "./support/project.js";

// Hosts written as aliases from the user's ~/.ssh/config (ssh.config's default), as MRSK 0.13 /
// net-ssh read it: `app-one` is h1; `app-two` is h2, reachable only through `jumpbox` (h1 again,
// under another alias) because h2 refuses SSH from the deploying machine for the test. User, key
// and known_hosts come from the config file only: deploy.yml has no ssh keys.

const SERVICE = "sshcfg";
let rig: RigState;
let project: Project;
let last: MrskRun | undefined;
// Inside h2: SSH from the deploying machine (the bridge address) is refused; h1 still reaches it.
let blockRule: string[];

async function mrsk(args: string[]): Promise<MrskRun> {
  last = await project.mrsk(args, { VERSION: "v1" });
  return last;
}

function reportOnFailure(): void {
  onTestFailed(() => {
    console.error(`mrsk output:\n${last?.output ?? "(none)"}`);
  });
}

function sshConfig(state: RigState): string {
  return [
    "Host app-one",
    `  HostName ${state.hosts[0]!.address}`,
    "Host app-two",
    `  HostName ${state.hosts[1]!.address}`,
    "  ProxyJump jumpbox",
    "Host jumpbox",
    `  HostName ${state.hosts[0]!.address}`,
    "Host app-* jumpbox",
    `  User ${state.sshUser}`,
    `  IdentityFile ${state.sshKey}`,
    "  IdentitiesOnly yes",
    `  UserKnownHostsFile ${state.knownHosts}`,
    "",
  ].join("\n");
}

function deployConfig(state: RigState, sshLines: string[] = []): string {
  return [
    `service: ${SERVICE}`,
    "image: mrsk-e2e/sshcfg",
    "servers:",
    "  web:",
    "    hosts:",
    "      - app-one",
    "      - app-two",
    "    traefik: false",
    "registry:",
    `  server: ${state.registry.server}`,
    `  username: ${state.registry.username}`,
    "  password:",
    "    - MRSK_REGISTRY_PASSWORD",
    "builder:",
    "  multiarch: false",
    "  args:",
    '    VERSION: <%= ENV["VERSION"] %>',
    "env:",
    "  secret:",
    "    - APP_SECRET",
    "readiness_delay: 1",
    ...(sshLines.length > 0 ? ["ssh:", ...sshLines] : []),
    "",
  ].join("\n");
}

/** Removes this test's containers, images and files from h1 and h2, without SSH (h2 may be blocked). */
async function clean(): Promise<void> {
  const script = [
    `ids=$(docker ps -aq --filter label=service=${SERVICE}); [ -z "$ids" ] || docker rm -f $ids >/dev/null`,
    `docker image ls -q ${rig.registry.server}/mrsk-e2e/sshcfg | sort -u | xargs -r docker rmi -f >/dev/null 2>&1`,
    `rm -rf /root/.mrsk/${SERVICE} /root/.mrsk/lock-${SERVICE}`,
    "true",
  ].join("; ");
  await Promise.all([1, 2].map((i) => inHost(i, ["sh", "-c", script])));
}

beforeAll(async () => {
  const existing = await readRigState().catch(() => undefined);
  rig = existing !== undefined && existing.hosts.length >= 2 ? existing : await rigUp({ hosts: 2 });
  blockRule = ["INPUT", "-s", rig.bridge.address, "-p", "tcp", "--dport", String(rig.hosts[1]!.sshPort), "-j", "REJECT", "--reject-with", "tcp-reset"];
  await clean();
  project = createProject(rig, SERVICE);
  // Host keys are checked strictly (the project's env) against the config's UserKnownHostsFile only.
  rmSync(path.join(project.home, ".ssh/known_hosts"));
  writeFileSync(path.join(project.home, ".ssh/config"), sshConfig(rig));
  project.writeConfig(deployConfig(rig, ["  log_level: debug"]));
  // A rule left by an interrupted run would block the other tests too: start from none.
  while ((await inHost(2, ["iptables", "-D", ...blockRule])).code === 0);
  const blocked = await inHost(2, ["iptables", "-I", ...blockRule]);
  if (blocked.code !== 0) throw new Error(`could not block SSH to h2: ${blocked.stderr}`);
});

afterAll(async () => {
  if (rig !== undefined) {
    await inHost(2, ["iptables", "-D", ...blockRule]);
    await clean();
  }
  project?.remove();
});

describe("hosts as aliases from ~/.ssh/config, one behind a jump host", () => {
  it("h2 refuses SSH from this machine: only the jump host reaches it", async () => {
    expect((await onHost(2, "true", { timeoutMs: 15_000 })).code).toBe(255);
    const probe = `timeout 5 bash -c 'exec 3<>/dev/tcp/${rig.hosts[1]!.address}/22' && echo reachable`;
    expect((await onHost(1, probe)).stdout.trim()).toBe("reachable");
  });

  it("server exec and lock status reach both hosts, shown by their aliases, with the resolution in debug lines", async () => {
    reportOnFailure();
    const exec = await mrsk(["server", "exec", "hostname"]);
    expect(exec.exitCode).toBe(0);
    expect(exec.stdout).toMatch(/^\[app-one\] h1$/m);
    expect(exec.stdout).toMatch(/^\[app-two\] h2$/m);
    const [h1, h2] = [rig.hosts[0]!.address, rig.hosts[1]!.address];
    expect(exec.output).toContain(`ssh: OpenSSH config files read: ${path.join(project.home, ".ssh/config")}`);
    expect(exec.output).toContain(`ssh: app-two is root@${h2}:22`);
    expect(exec.output).toContain(`ssh: jump hosts: jumpbox (root@${h1}:22;`);
    expect(exec.output).toContain(`ssh: keys offered to root@${h2}: ${rig.sshKey}`);
    expect(exec.output).not.toContain("PRIVATE KEY");

    const lock = await mrsk(["lock", "status"]);
    expect(lock.exitCode).toBe(0);
    expect(lock.stdout).toContain("[app-one] There is no deploy lock");
  });

  it("deploy boots the app on both hosts through the aliases and the jump host", async () => {
    reportOnFailure();
    const deploy = await mrsk(["deploy"]);
    expect(deploy.exitCode).toBe(0);
    expect(deploy.output).toContain("[app-two]");
    for (const i of [1, 2]) {
      const ps = await inHost(i, ["docker", "ps", "--filter", `label=service=${SERVICE}`, "--format", "{{.Names}} {{.State}}"]);
      expect(ps.stdout.trim()).toBe(`${SERVICE}-web-v1 running`);
    }
  });

  it("ssh.config: a path reads that file instead; ssh.config: false reads none, and the aliases no longer resolve", async () => {
    reportOnFailure();
    const elsewhere = path.join(project.dir, "ssh_config");
    writeFileSync(elsewhere, sshConfig(rig));
    rmSync(path.join(project.home, ".ssh/config"));
    project.writeConfig(deployConfig(rig, [`  config: ${elsewhere}`]));
    const exec = await mrsk(["server", "exec", "-h", "app-two", "hostname"]);
    expect(exec.exitCode).toBe(0);
    expect(exec.stdout).toMatch(/^\[app-two\] h2$/m);

    project.writeConfig(deployConfig(rig, ["  config: false"]));
    const none = await mrsk(["server", "exec", "-h", "app-one", "hostname"]);
    expect(none.exitCode).not.toBe(0);
    expect(none.output).toContain("cannot resolve app-one");
  });
});
