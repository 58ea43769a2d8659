import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { onHost, readRigState, rigUp, type RigState } from "./support/rig.js";
import { APP_SECRET, MRSK_BIN, containersOn, createProject, describeRig, rigBasics, type MrskRun, type Project } from "./support/project.js";

// Operating a deployment on two real hosts: accessory data surviving a reboot, `app exec` in the
// running and in a new container, an interactive shell through a pty, following logs, read-only
// commands under a held lock, an unreachable host, stale containers, and `remove`. The app role is
// not behind Traefik, so nothing here touches the proxy that other tests share.

const SERVICE = "ops";
const HOSTS = ["10.213.0.11", "10.213.0.12"];
let rig: RigState;
let project: Project;
let last: MrskRun | undefined;

async function mrsk(args: string[], env: Record<string, string> = {}): Promise<MrskRun> {
  last = await project.mrsk(args, { VERSION: "v1", ...env });
  return last;
}

function reportOnFailure(): void {
  onTestFailed(async () => {
    console.error(`mrsk output:\n${last?.output ?? "(none)"}\n\nrig state:\n${await describeRig(rig)}`);
  });
}

function config(state: RigState): string {
  return [
    `service: ${SERVICE}`,
    "image: mrsk-e2e/ops",
    "servers:",
    "  web:",
    "    hosts:",
    // The first host comes from .env, like PlaceCal's PRODUCTION_HOST: a secret that is a host.
    '      - <%= ENV["OPS_PRIMARY_HOST"] %>',
    `      - ${HOSTS[1]}`,
    "    traefik: false",
    ...rigBasics(state),
    "env:",
    "  clear:",
    "    GREETING: hello",
    "  secret:",
    "    - APP_SECRET",
    // The app is told where it runs through a secret, as real projects do.
    "    - OPS_PRIMARY_HOST",
    "traefik:",
    "  args:",
    "    providers.providersThrottleDuration: 0s",
    "readiness_delay: 1",
    "accessories:",
    "  counter:",
    `    image: ${state.images.counter}`,
    '    host: <%= ENV["OPS_PRIMARY_HOST"] %>',
    "    env:",
    "      clear:",
    "        COUNTER_GREETING: hi-from-erb",
    "      secret:",
    "        - APP_SECRET",
    "    files:",
    "      - config/counter.conf.erb:/etc/counter.conf",
    "    directories:",
    "      - data:/data",
    "aliases:",
    "  shell: app exec -i --reuse sh",
    "",
  ].join("\n");
}

/** Removes everything of this test's service from both hosts (never anything else). */
async function clean(): Promise<void> {
  const script = [
    `for filter in label=service=${SERVICE} label=service=${SERVICE}-counter; do ids=$(docker ps -aq --filter $filter); [ -z "$ids" ] || docker rm -f $ids >/dev/null; done`,
    `docker image ls -q ${rig.registry.server}/mrsk-e2e/ops | sort -u | xargs -r docker rmi -f >/dev/null 2>&1`,
    `rm -rf .mrsk/${SERVICE} .mrsk/${SERVICE}-unreachable .mrsk/lock-${SERVICE} .mrsk/lock-${SERVICE}-unreachable ${SERVICE}-counter`,
    "true",
  ].join("; ");
  await Promise.all([1, 2].map((i) => onHost(i, script)));
}

/** Runs `argv` in a pseudo-terminal (python's pty module), writing `steps` when their prompt shows. */
async function inTerminal(argv: string[], steps: Array<{ after: string; type: string }>): Promise<{ exitCode: number | null; output: string }> {
  const script = "import os, pty, sys\nstatus = pty.spawn(sys.argv[1:])\nsys.exit(os.waitstatus_to_exitcode(status))";
  const child = spawn("python3", ["-c", script, ...argv], { cwd: project.dir, env: { ...project.env, VERSION: "v1", TERM: "xterm" }, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let seen = 0;
  for (const step of steps) {
    for (let i = 0; i < 300 && output.indexOf(step.after, seen) < 0; i++) await delay(50);
    if (output.indexOf(step.after, seen) < 0) break;
    seen = output.indexOf(step.after, seen) + step.after.length;
    child.stdin.write(step.type);
  }
  const timeout = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const exitCode = await exited;
  clearTimeout(timeout);
  last = { exitCode: exitCode ?? -1, stdout: output, stderr: "", output };
  return { exitCode, output };
}

async function on1(command: string): Promise<string> {
  return (await onHost(1, command)).stdout.trim();
}

beforeAll(async () => {
  // Share the rig the other end-to-end tests use; bring it up only when there is none.
  const existing = await readRigState().catch(() => undefined);
  rig = existing !== undefined && existing.hosts.length >= 2 ? existing : await rigUp({ hosts: 2 });
  await clean();
  project = createProject(rig, SERVICE);
  project.writeConfig(config(rig));
  appendFileSync(path.join(project.dir, ".env"), `OPS_PRIMARY_HOST=${HOSTS[0]}\n`);
  writeFileSync(path.join(project.dir, "config/counter.conf.erb"), 'greeting=<%= ENV["COUNTER_GREETING"] %>\n');
});

afterAll(async () => {
  if (rig !== undefined) await clean();
  project?.remove();
});

describe("operating a deployed app", () => {
  it("setup boots the app on both hosts and the counter accessory on the first", async () => {
    reportOnFailure();
    const run = await mrsk(["setup"]);
    expect(run.exitCode).toBe(0);
    for (const i of [1, 2]) expect(await containersOn(i, SERVICE)).toEqual({ "ops-web-v1": "running" });
    expect(await on1("docker ps --filter name=^ops-counter$ --format '{{.State}}'")).toBe("running");
    // The host held by a secret is shown as itself wherever it names a host, never masked.
    expect(run.output).toContain(`Booting accessory counter on ${HOSTS[0]}`);
    expect(run.output).not.toContain("[REDACTED]");
  });

  it("accessory: its .erb file is rendered, its env file is 0600, and data written into its directory survives a reboot", async () => {
    reportOnFailure();
    expect(await on1("docker exec ops-counter cat /etc/counter.conf")).toBe("greeting=hi-from-erb");
    expect(await on1(`stat -c %a .mrsk/${SERVICE}/env/accessories/counter.env`)).toBe("600");
    // Rendered from ERB with the accessory's secrets in reach: owner-only too.
    expect(await on1(`stat -c %a ${SERVICE}-counter/etc/counter.conf`)).toBe("600");
    expect(await on1("docker exec ops-counter sh -c 'echo ${#APP_SECRET}'")).toBe(String(APP_SECRET.length));

    const write = await mrsk(["accessory", "exec", "counter", "--reuse", "sh -c 'echo kept > /data/marker && cat /data/boots'"]);
    expect(write.exitCode).toBe(0);
    expect(write.stdout).toContain(`[${HOSTS[0]}] 1`);
    const before = await on1("docker inspect --format '{{.Id}}' ops-counter");

    const reboot = await mrsk(["accessory", "reboot", "counter"]);
    expect(reboot.exitCode).toBe(0);
    expect(await on1("docker inspect --format '{{.Id}}' ops-counter")).not.toBe(before);
    for (let i = 0; i < 50 && (await on1("cat ops-counter/data/boots")) !== "2"; i++) await delay(100);
    expect(await on1("cat ops-counter/data/boots")).toBe("2");
    expect(await on1("docker exec ops-counter cat /data/marker")).toBe("kept");
    expect(await on1(`tail -n 3 .mrsk/${SERVICE}/audit.log`)).toMatch(/Rebooted counter accessory\n.*Booted counter accessory/);
  });

  it("app exec sees the role's env both in the running container (--reuse) and in a new one", async () => {
    reportOnFailure();
    const line = `sh -c 'echo "env:$GREETING:\${#APP_SECRET}:$EXTRA:$MRSK_VERSION:$(hostname)"'`;
    const reused = await mrsk(["app", "exec", "--reuse", "-e", "EXTRA=x", line]);
    expect(reused.exitCode).toBe(0);
    const fresh = await mrsk(["app", "exec", "-e", "EXTRA=y", line]);
    expect(fresh.exitCode).toBe(0);
    for (const host of HOSTS) {
      const running = await onHost(HOSTS.indexOf(host) + 1, "docker inspect --format '{{.Config.Hostname}}' ops-web-v1");
      expect(reused.stdout).toContain(`[${host}] env:hello:${APP_SECRET.length}:x:v1:${running.stdout.trim()}`);
      expect(fresh.stdout).toMatch(new RegExp(`^\\[${host.replaceAll(".", "\\.")}\\] env:hello:${APP_SECRET.length}:y:v1:[0-9a-f]{12}$`, "m"));
      expect(fresh.stdout).not.toContain(`:${running.stdout.trim()}`);
    }
    // The new containers were removed when the command ended.
    for (const i of [1, 2]) expect((await onHost(i, `docker ps -a --filter ancestor=${rig.registry.server}/mrsk-e2e/ops:v1 --format '{{.Names}}'`)).stdout.trim()).toBe("ops-web-v1");
    expect(await on1(`tail -n 1 .mrsk/${SERVICE}/audit.log`)).toMatch(/\[web\] Executed cmd 'sh -c .*' on app version v1$/);
  });

  it("app exec -i (here through the `shell` alias) runs an interactive shell in a real terminal and returns its exit status", async () => {
    reportOnFailure();
    const reused = await inTerminal(["node", MRSK_BIN, "shell"], [
      { after: "# ", type: "echo from-$((6*7)); tty\r" },
      { after: "/dev/pts/", type: "exit 3\r" },
    ]);
    expect(reused.output).toContain("from-42");
    expect(reused.output).toMatch(/\/dev\/pts\/\d+/);
    expect(reused.exitCode).toBe(3);

    const fresh = await inTerminal(["node", MRSK_BIN, "app", "exec", "-i", "sh"], [{ after: "# ", type: 'echo "fresh-$GREETING-$MRSK_VERSION"; exit\r' }]);
    expect(fresh.output).toContain("fresh-hello-v1");
    expect(fresh.exitCode).toBe(0);
  });

  it("app logs -f streams lines written after it started, from every host, and Ctrl-C ends it and the remote docker logs", async () => {
    reportOnFailure();
    const child = project.spawn(["app", "logs", "-f"], { VERSION: "v1" });
    let output = "";
    child.all!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const waitFor = async (pattern: RegExp): Promise<void> => {
      for (let i = 0; i < 200 && !pattern.test(output); i++) await delay(50);
    };
    await waitFor(/\[10\.213\.0\.12\] .*sample app v1: listening/);
    await waitFor(/\[10\.213\.0\.11\] .*sample app v1: listening/);
    const marker = `marker-${randomBytes(4).toString("hex")}`;
    await onHost(1, `docker exec ops-web-v1 sh -c 'echo ${marker} > /proc/1/fd/1'`);
    await waitFor(new RegExp(`\\[10\\.213\\.0\\.11\\] \\S+ ${marker}`));
    child.kill("SIGINT");
    const result = await child;
    last = { exitCode: result.exitCode ?? -1, stdout: output, stderr: "", output };
    expect(output).toMatch(/\[10\.213\.0\.12\] \S+ sample app v1: listening on port 3000/);
    expect(output).toMatch(new RegExp(`\\[10\\.213\\.0\\.11\\] \\S+ ${marker}\\n`));
    expect(result.exitCode).toBe(0);
    for (const i of [1, 2]) {
      let left = "";
      for (let n = 0; n < 50; n++) {
        left = (await onHost(i, "pgrep -f 'docker logs --timestamp[s] --tail 10 --follow ops-web-v1' || true")).stdout.trim();
        if (left === "") break;
        await delay(100);
      }
      expect(left).toBe("");
    }
  });

  it("read-only commands answer while the deploy lock is held; commands that change containers are refused", async () => {
    reportOnFailure();
    expect((await mrsk(["lock", "acquire", "-m", "ops e2e"])).exitCode).toBe(0);
    try {
      const version = await mrsk(["app", "version"]);
      expect(version.exitCode).toBe(0);
      expect(version.stdout).toContain("[10.213.0.11] v1\n[10.213.0.12] v1");
      const logs = await mrsk(["app", "logs", "-g", "listening"]);
      expect(logs.stdout).toMatch(/\[10\.213\.0\.12\] \S+ sample app v1: listening/);
      for (const args of [["details"], ["audit"], ["app", "containers"], ["app", "images"], ["accessory", "details", "counter"]]) {
        expect((await mrsk(args)).exitCode).toBe(0);
      }
      expect(last!.stdout).toContain("ops-counter");
      const stop = await mrsk(["app", "stop"]);
      expect(stop.exitCode).toBe(1);
      expect(stop.stderr).toContain("Deploy lock found on 10.213.0.11");
      for (const i of [1, 2]) expect(await containersOn(i, SERVICE)).toEqual({ "ops-web-v1": "running" });
    } finally {
      await mrsk(["lock", "release"]);
    }
  });

  it("an unreachable host is named; read-only commands still show the others, changes stop before anything happens", async () => {
    reportOnFailure();
    project.writeConfig(`servers:\n  web:\n    hosts:\n${[...HOSTS, "10.213.0.99"].map((h) => `      - ${h}`).join("\n")}\n    traefik: false\n`, "config/deploy.unreachable.yml");
    const version = await mrsk(["-d", "unreachable", "app", "version"]);
    expect(version.exitCode).toBe(1);
    expect(version.stdout).toContain("[10.213.0.11] not running\n[10.213.0.12] not running");
    expect(version.stderr).toMatch(/Could not connect to 10\.213\.0\.99/);
    const stop = await mrsk(["-d", "unreachable", "app", "stop"]);
    expect(stop.exitCode).toBe(1);
    expect(stop.stderr).toMatch(/Could not connect to 10\.213\.0\.99/);
    expect(stop.output).not.toContain("Acquiring the deploy lock");
  });

  it("stale_containers lists a running container that is not the current version, and --stop stops it", async () => {
    reportOnFailure();
    await onHost(1, `docker run -d --name ops-web-old --label service=${SERVICE} --label role=web --label destination= ${rig.images.busybox} sh -c 'trap "exit 0" TERM; sleep 600 & wait'`);
    const listed = await mrsk(["app", "stale_containers"]);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toContain("[10.213.0.11] ops-web-old (web, current: ops-web-v1)\n[10.213.0.12] No stale containers");
    expect((await mrsk(["app", "version"])).stdout).toContain("[10.213.0.11] v1");
    expect((await mrsk(["app", "stale_containers", "--stop"])).exitCode).toBe(0);
    expect((await containersOn(1, SERVICE))["ops-web-old"]).toBe("exited");
    expect((await containersOn(1, SERVICE))["ops-web-v1"]).toBe("running");
  });

  it("remove refuses without a terminal unless -y, then -y leaves no container, image or file of the service", async () => {
    reportOnFailure();
    const refused = await mrsk(["remove"]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain("Removing ops deletes:");
    expect(refused.stdout).toContain("directory ~/ops-counter (with ops-counter/etc/counter.conf, ops-counter/data)");
    expect(refused.stderr).toContain("Nothing was removed: there is no terminal to confirm on");
    expect(refused.stderr).toContain("pass -y to confirm without a prompt");
    expect(await containersOn(1, SERVICE)).toMatchObject({ "ops-web-v1": "running" });

    const removed = await mrsk(["remove", "-y"]);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).not.toContain("Traefik");
    for (const i of [1, 2]) {
      const left = await onHost(
        i,
        [
          `docker ps -a --filter label=service=${SERVICE} --format '{{.Names}}'`,
          `docker ps -a --filter name=^${SERVICE}- --format '{{.Names}}'`,
          `docker image ls ${rig.registry.server}/mrsk-e2e/ops --format '{{.Repository}}:{{.Tag}}'`,
          `ls -d .mrsk/${SERVICE} .mrsk/lock-${SERVICE} ${SERVICE}-counter 2>/dev/null`,
          "true",
        ].join("; "),
      );
      expect(left.stdout.trim()).toBe("");
    }
  });
});
