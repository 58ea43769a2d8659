// The test rig itself: namespaced hosts reachable over ssh, each with its own docker, a registry
// with a password, images that run, and a teardown that leaves nothing behind.
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpGet, inHost, onHost, rigDown, rigUp, sshArgs, type RigState } from "./support/rig.js";

function runLocally(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { encoding: "utf8" }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 255, stdout, stderr }),
    ),
  );
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${lastError === undefined ? "" : `: ${String(lastError)}`}`);
}

async function appAnswers(address: string, port: number): Promise<true | undefined> {
  const response = await httpGet(address, "/up", { port, timeoutMs: 2_000 });
  return response.status === 200 ? true : undefined;
}

async function netnsNames(): Promise<string[]> {
  const { stdout } = await runLocally("ip", ["netns", "list"]);
  return stdout.split("\n").map((line) => line.split(" ")[0] ?? "").filter((name) => name !== "");
}

/** The rig's "PID STARTTIME" records: each host's holder, sshd, dockerd (and delay), the registry, the deployer. */
async function recordedProcesses(stateDir: string): Promise<{ file: string; pid: number; start: string }[]> {
  const hostFiles = (await readdir(path.join(stateDir, "hosts"))).flatMap((host) =>
    ["ns", "sshd", "dockerd", "delay"].map((daemon) => path.join("hosts", host, `${daemon}.pid`)),
  );
  const records = [];
  for (const file of [...hostFiles, "registry/registry.pid", "deployer/dockerd.pid"]) {
    const text = await readFile(path.join(stateDir, file), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const [pid, start] = text.trim().split(" ");
    records.push({ file, pid: Number(pid), start: start ?? "" });
  }
  return records;
}

/** Alive = /proc has the same process (same start time), not a zombie. */
async function isAlive({ pid, start }: { pid: number; start: string }): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] !== "Z" && fields[19] === start;
  } catch {
    return false;
  }
}

describe("the test rig", () => {
  let rig: RigState;

  beforeAll(async () => {
    await rigDown();
    rig = await rigUp({ hosts: 2 });
  });

  afterAll(async () => {
    await rigDown();
  });

  it("describes two hosts, the registry and the deployer docker in rig.json", () => {
    expect(rig.hosts.map((host) => [host.name, host.address, host.sshPort])).toEqual([
      ["h1", "10.213.0.11", 22],
      ["h2", "10.213.0.12", 22],
    ]);
    expect(rig.registry).toMatchObject({ server: "10.213.0.1:5000", username: "mrsk" });
    expect(rig.registry.password).toMatch(/^[0-9a-f]{32}$/);
    expect(rig.deployerDockerHost).toBe(`unix://${rig.stateDir}/deployer/docker.sock`);
  });

  it("running up again leaves the same single rig", async () => {
    const before = await readFile(rig.knownHosts, "utf8");
    const again = await rigUp({ hosts: 2 });
    expect(again.hosts).toEqual(rig.hosts);
    expect(await readFile(rig.knownHosts, "utf8")).toBe(before);
    expect((await netnsNames()).filter((name) => name.startsWith("mrsk-rig-")).sort()).toEqual(["mrsk-rig-h1", "mrsk-rig-h2"]);
  });

  it("reaches each host over ssh only with its recorded host key", async () => {
    for (const [index, host] of rig.hosts.entries()) {
      const result = await onHost(index + 1, ["hostname"]);
      expect(result, result.stderr).toMatchObject({ code: 0, stdout: `${host.name}\n` });
    }
    const withoutKnownHosts = sshArgs(rig, rig.hosts[0]!).map((arg) => (arg.startsWith("UserKnownHostsFile=") ? "UserKnownHostsFile=/dev/null" : arg));
    const refused = await runLocally("ssh", [...withoutKnownHosts, "true"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/host key verification failed/i);
  });

  it("gives every host its own docker engine", async () => {
    const ids = [];
    for (const index of [1, 2]) {
      const result = await onHost(index, ["docker", "info", "--format", "{{.ID}}"]);
      expect(result.code, result.stderr).toBe(0);
      ids.push(result.stdout.trim());
    }
    expect(ids[0]).not.toBe("");
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("lets a host log in to the registry with the password, and not with a wrong one", async () => {
    const login = (password: string) =>
      onHost(1, `printf %s ${password} | docker login ${rig.registry.server} -u ${rig.registry.username} --password-stdin`);
    const wrong = await login("not-the-password");
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/401|unauthorized/i);
    const right = await login(rig.registry.password);
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toMatch(/Login Succeeded/);
  });

  it("runs the sample app pulled from the registry, reachable from the machine and from the other host", async () => {
    for (const [index, tag] of [[1, "v1"], [2, "v2"]] as const) {
      const image = `${rig.images.sampleAppRepository}:${tag}`;
      const result = await onHost(
        index,
        `printf %s ${rig.registry.password} | docker login ${rig.registry.server} -u ${rig.registry.username} --password-stdin >/dev/null && ` +
          `docker pull -q ${image} && docker run -d --name rig-test-app -e MRSK_CONTAINER_NAME=rig-test-app-${tag} -p 3000:3000 ${image}`,
      );
      expect(result.code, result.stderr).toBe(0);
    }
    const [h1, h2] = rig.hosts.map((host) => host.address) as [string, string];
    await until("the app on h1", () => appAnswers(h1, 3000));
    const page = await httpGet(h1, "/", { port: 3000 });
    expect(page.status).toBe(200);
    expect(page.body).toContain("version=v1");
    expect(page.body).toContain("container=rig-test-app-v1");

    await until("the app on h2", () => appAnswers(h2, 3000));
    const fromH1 = await onHost(1, ["curl", "-s", "--max-time", "5", `http://${h2}:3000/version`]);
    expect(fromH1).toMatchObject({ code: 0, stdout: "v2\n" });
  });

  it("serves through the caddy image, proxying from h2 to the app on h1", async () => {
    const [h1, h2] = rig.hosts.map((host) => host.address) as [string, string];
    const result = await onHost(
      2,
      `mkdir -p /root/caddy && cat > /root/caddy/Caddyfile <<'EOF'\n:80 {\n\treverse_proxy ${h1}:3000\n}\nEOF\n` +
        `docker run -d --name rig-test-caddy -p 80:80 -v /root/caddy/Caddyfile:/etc/caddy/Caddyfile ${rig.images.caddy}`,
    );
    expect(result.code, result.stderr).toBe(0);
    const page = await until("caddy on h2", async () => {
      const response = await httpGet(h2, "/", { timeoutMs: 2_000 });
      return response.status === 200 ? response : undefined;
    });
    expect(page.body).toContain("version=v1");
  });

  it("has the traefik stand-in loaded on every host as traefik:v2.9, and it routes nothing", async () => {
    for (const index of [1, 2]) {
      const label = await inHost(index, ["docker", "image", "inspect", "-f", '{{index .Config.Labels "org.mrsk-rig.stand-in"}}', "traefik:v2.9"]);
      expect(label.stdout).toMatch(/does not route/);
    }
    const run = await onHost(1, "docker run -d --name rig-test-traefik -p 80:80 traefik:v2.9 --providers.docker --log.level=DEBUG");
    expect(run.code, run.stderr).toBe(0);
    const response = await until("the stand-in on h1", async () => {
      const answer = await httpGet(rig.hosts[0]!.address, "/", { timeoutMs: 2_000 });
      return answer.status === 404 ? answer : undefined;
    });
    expect(response.body).toMatch(/stand-in/);
  });

  it("down leaves no namespace, recorded process or bridge behind", async () => {
    const records = await recordedProcesses(rig.stateDir);
    expect(records.map((record) => record.file).sort()).toEqual([
      "deployer/dockerd.pid",
      "hosts/h1/dockerd.pid", "hosts/h1/ns.pid", "hosts/h1/sshd.pid",
      "hosts/h2/dockerd.pid", "hosts/h2/ns.pid", "hosts/h2/sshd.pid",
      "registry/registry.pid",
    ]);
    await rigDown();
    expect((await netnsNames()).filter((name) => name.startsWith("mrsk-rig-"))).toEqual([]);
    const survivors = [];
    for (const record of records) if (await isAlive(record)) survivors.push(record);
    expect(survivors).toEqual([]);
    const bridge = await runLocally("ip", ["link", "show", rig.bridge.name]);
    expect(bridge.code).not.toBe(0);
  });
});
