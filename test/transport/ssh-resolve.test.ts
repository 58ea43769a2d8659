// Resolving a host through deploy.yml's ssh settings and OpenSSH config files (ssh.config).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/errors.js";
import { OpenSshConfig } from "../../src/transport/openssh-config.js";
import { expandProxyCommand } from "../../src/transport/proxy-command.js";
import { resolveHost, type ResolvedHost } from "../../src/transport/ssh-resolve.js";
import type { SshSettings } from "../../src/transport/types.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mrsk-sshconfig-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Settings = Parameters<typeof resolveHost>[1];

/** deploy.yml setting nothing: everything may come from the files. */
const unset: Settings = {
  user: undefined,
  port: undefined,
  keys: [],
  keysOnly: undefined,
  proxy: undefined,
  proxyCommand: undefined,
  keepaliveIntervalMs: 30_000,
  connectTimeoutMs: 15_000,
  knownHostsFiles: undefined,
  hostKeyPolicy: undefined,
  agent: "/run/env-agent.sock",
};

let fileCount = 0;
async function configFile(text: string, name = `config-${++fileCount}`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function configOf(...texts: string[]): Promise<OpenSshConfig> {
  const paths = await Promise.all(texts.map((text) => configFile(text)));
  return OpenSshConfig.read(paths.map((path) => ({ path, optional: false })));
}

async function resolve(spec: string, text: string, settings: Partial<SshSettings> = {}): Promise<ResolvedHost> {
  return resolveHost(spec, { ...unset, ...settings }, await configOf(text));
}

function endpoint(host: ResolvedHost): string {
  return `${host.endpoint.user}@${host.endpoint.host}:${host.endpoint.port}`;
}

/** The jump hosts from the first hop to the last, as user@host:port. */
function hops(host: ResolvedHost): string[] {
  const chain: string[] = [];
  for (let route = host.route; route.kind === "jump"; route = route.via.route) chain.unshift(`${route.via.label}=${endpoint(route.via)}`);
  return chain;
}

describe("an alias from the config file", () => {
  const aliases = [
    "Host web1",
    "  HostName 10.0.0.11",
    "  User deploy",
    "  Port 2222",
    "  IdentityFile ~/.ssh/web_key",
    "  IdentitiesOnly yes",
    "",
  ].join("\n");

  it("dials HostName as User on Port with the IdentityFile, and keeps the alias as the name shown", async () => {
    const host = await resolve("web1", aliases);
    expect(host.label).toBe("web1");
    expect(host.endpoint).toEqual({ user: "deploy", host: "10.0.0.11", port: 2222 });
    expect(host.keys).toEqual([join(homedir(), ".ssh/web_key")]);
    expect(host.keysOnly).toBe(true);
    expect(host.defaultKeys).toBe(false);
    expect(host.route).toEqual({ kind: "direct" });
    expect(host.entries).toEqual([expect.stringMatching(/config-\d+: Host web1$/)]);
  });

  it("leaves a host the file does not name as written, as root on port 22 with the usual keys", async () => {
    const host = await resolve("web2.example.com", aliases);
    expect(endpoint(host)).toBe("root@web2.example.com:22");
    expect(host.keys).toEqual([]);
    expect(host.defaultKeys).toBe(true);
    expect(host.entries).toEqual([]);
  });

  it("lets deploy.yml's ssh.user, ssh.port, ssh.keys and ssh.keys_only win over the file", async () => {
    const host = await resolve("web1", aliases, { user: "app", port: 22, keys: ["/keys/app"], keysOnly: false });
    expect(endpoint(host)).toBe("app@10.0.0.11:22");
    expect(host.keys).toEqual(["/keys/app"]);
    expect(host.keysOnly).toBe(false);
  });

  it("lets user@ and :port in the host list win over both", async () => {
    expect(endpoint(await resolve("ops@web1:2200", aliases, { user: "app", port: 22 }))).toBe("ops@10.0.0.11:2200");
  });
});

describe("Host patterns", () => {
  it("match with * and ?, and a negated pattern excludes a host whatever else matches", async () => {
    const text = ["Host *.prod !db.prod", "  User app", "Host web?", "  Port 2200", ""].join("\n");
    expect(endpoint(await resolve("web.prod", text))).toBe("app@web.prod:22");
    expect(endpoint(await resolve("db.prod", text))).toBe("root@db.prod:22");
    expect(endpoint(await resolve("web1", text))).toBe("root@web1:2200");
  });

  it("take the first value obtained for each setting; IdentityFile adds up", async () => {
    const text = [
      "Host web1",
      "  User first",
      "  IdentityFile /keys/one",
      "Host web*",
      "  User second",
      "  Port 2201",
      "  IdentityFile /keys/two",
      "Host *",
      "  User everyone",
      "  Port 2202",
      "  ConnectTimeout 3",
      "",
    ].join("\n");
    const host = await resolve("web1", text);
    expect(endpoint(host)).toBe("first@web1:2201");
    expect(host.keys).toEqual(["/keys/one", "/keys/two"]);
    expect(host.connectTimeoutMs).toBe(3_000);
    expect(host.entries.map((e) => e.replace(/^.*: /, ""))).toEqual(["Host web1", "Host web*", "Host *"]);
  });

  it("read the files in order: the first file that sets a value wins (the user's before the system's)", async () => {
    const config = await configOf("Host web1\n  User mine\n", "Host *\n  User system\n  Port 2222\n");
    expect(endpoint(resolveHost("web1", unset, config))).toBe("mine@web1:2222");
  });

  it("apply Match host blocks, and never run Match exec", async () => {
    const marker = join(dir, "match-exec-ran");
    const text = [`Match exec "touch ${marker}"`, "  User executed", "Match host web*", "  User matched", ""].join("\n");
    expect(endpoint(await resolve("web1", text))).toBe("matched@web1:22");
    await expect(import("node:fs/promises").then((fs) => fs.access(marker))).rejects.toThrow();
  });
});

describe("tokens", () => {
  it("expand ~, %h, %r, %u, %d, %p, %n and %% in IdentityFile and UserKnownHostsFile", async () => {
    const text = [
      "Host web1",
      "  HostName %h.internal",
      "  User deploy",
      "  IdentityFile ~/.ssh/%h-%r-%u",
      "  IdentityFile %d/keys/%n-%p-100%%",
      "  UserKnownHostsFile ~/.ssh/known_%h /etc/ssh/known_all",
      "",
    ].join("\n");
    const host = await resolve("web1", text);
    const me = userInfo().username;
    expect(host.endpoint.host).toBe("web1.internal");
    expect(host.keys).toEqual([join(homedir(), `.ssh/web1.internal-deploy-${me}`), `${homedir()}/keys/web1-22-100%`]);
    expect(host.knownHostsFiles).toEqual([join(homedir(), ".ssh/known_web1.internal"), "/etc/ssh/known_all"]);
  });

  it("refuse an unknown token, naming the host and the setting", async () => {
    await expect(resolve("web1", "Host web1\n  IdentityFile /keys/%z\n")).rejects.toThrow(
      "Could not connect to web1: the OpenSSH config sets IdentityFile /keys/%z, expected tokens among %h, %r, %p, %n, %u, %d and %%; not %z",
    );
  });

  it("in a proxy command: %h, %p, %r expanded, and a host name starting with - refused", () => {
    expect(expandProxyCommand("nc %h %p # %r", { user: "deploy", host: "10.0.0.5", port: 2222 })).toBe("nc 10.0.0.5 2222 # deploy");
    expect(() => expandProxyCommand("nc %h %p", { user: "root", host: "-oProxyCommand=evil", port: 22 })).toThrow(ConnectionError);
    expect(() => expandProxyCommand("nc %h %p", { user: "root", host: "-oProxyCommand=evil", port: 22 })).toThrow('it starts with "-"');
  });
});

describe("jump hosts", () => {
  const text = [
    "Host app1",
    "  HostName 10.0.1.5",
    "  ProxyJump bastion",
    "Host app2",
    "  HostName 10.0.1.6",
    "  ProxyJump ops@outer:2200,bastion",
    "Host bastion",
    "  HostName 203.0.113.7",
    "  User jump",
    "  IdentityFile /keys/bastion",
    "Host outer",
    "  HostName 198.51.100.1",
    "  ProxyJump gateway",
    "Host direct",
    "  ProxyJump none",
    "  ProxyCommand none",
    "Host tunnelled",
    "  ProxyCommand ssh -W %h:%p gateway",
    "  ProxyJump bastion",
    "",
  ].join("\n");

  it("reach a host through its ProxyJump, the jump host itself resolved through the config", async () => {
    const host = await resolve("app1", text, { user: "deploy" });
    expect(endpoint(host)).toBe("deploy@10.0.1.5:22");
    expect(hops(host)).toEqual(["bastion=jump@203.0.113.7:22"]);
    expect(host.route.kind === "jump" && host.route.via.keys).toEqual(["/keys/bastion"]);
  });

  it("follow a chain in order, user@host:port in the chain winning, the first hop taking its own ProxyJump", async () => {
    const host = await resolve("app2", text);
    expect(hops(host)).toEqual(["gateway=root@gateway:22", "ops@outer:2200=ops@198.51.100.1:2200", "bastion=jump@203.0.113.7:22"]);
  });

  it("share one connection per jump host: the same hop resolves to the same key", async () => {
    const config = await configOf(text);
    const one = resolveHost("app1", unset, config);
    const other = resolveHost("app1:2222", unset, config);
    expect(one.route.kind === "jump" && other.route.kind === "jump" && one.route.via.key === other.route.via.key).toBe(true);
  });

  it("take ssh.proxy from deploy.yml over the file's ProxyJump, still resolving it through the config", async () => {
    const host = await resolve("app1", text, { proxy: "root@bastion" });
    expect(hops(host)).toEqual(["root@bastion=root@203.0.113.7:22"]);
    expect((await resolve("app1", text, { proxyCommand: "nc %h %p" })).route).toEqual({ kind: "command", template: "nc %h %p" });
  });

  it("use ProxyCommand from the file, whichever of ProxyCommand and ProxyJump comes first winning; none means direct", async () => {
    expect((await resolve("tunnelled", text)).route).toEqual({ kind: "command", template: "ssh -W %h:%p gateway" });
    expect((await resolve("direct", text)).route).toEqual({ kind: "direct" });
  });

  it("refuse a ProxyJump loop", async () => {
    const loop = "Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n";
    await expect(resolve("a", loop)).rejects.toThrow("ProxyJump goes through more than 8 jump hosts");
  });
});

describe("IdentityAgent", () => {
  it("replaces $SSH_AUTH_SOCK with its socket (~ and tokens expanded), none turning the agent off", async () => {
    expect((await resolve("web1", "")).agent).toBe("/run/env-agent.sock");
    expect((await resolve("web1", "Host *\n  IdentityAgent ~/.1password/agent.sock\n")).agent).toBe(join(homedir(), ".1password/agent.sock"));
    expect((await resolve("web1", "Host *\n  IdentityAgent /run/%r.sock\n", { user: "app" })).agent).toBe("/run/app.sock");
    expect((await resolve("web1", "Host *\n  IdentityAgent SSH_AUTH_SOCK\n")).agent).toBe("/run/env-agent.sock");
    expect((await resolve("web1", "Host *\n  IdentityAgent none\n")).agent).toBeUndefined();
  });
});

describe("host keys and timeouts", () => {
  it("take StrictHostKeyChecking, UserKnownHostsFile, ConnectTimeout and ServerAliveInterval from the file", async () => {
    const text = "Host *\n  StrictHostKeyChecking yes\n  UserKnownHostsFile /k/known\n  ConnectTimeout 4\n  ServerAliveInterval 10\n";
    const host = await resolve("web1", text);
    expect(host).toMatchObject({ hostKeyPolicy: "strict", knownHostsFiles: ["/k/known"], connectTimeoutMs: 4_000, keepaliveIntervalMs: 10_000 });
    expect((await resolve("web1", "Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile none\n")).hostKeyPolicy).toBe("off");
    expect((await resolve("web1", "Host *\n  UserKnownHostsFile none\n")).knownHostsFiles).toEqual([]);
  });

  it("default to accept-new, ~/.ssh/known_hosts and mrsk's timeouts; MRSK_SSH_HOST_KEY_POLICY and MRSK_KNOWN_HOSTS win", async () => {
    const plain = await resolve("web1", "");
    expect(plain).toMatchObject({ hostKeyPolicy: "accept-new", knownHostsFiles: [join(homedir(), ".ssh/known_hosts")], connectTimeoutMs: 15_000 });
    const text = "Host *\n  StrictHostKeyChecking yes\n  UserKnownHostsFile /k/known\n";
    expect(await resolve("web1", text, { hostKeyPolicy: "off", knownHostsFiles: ["/env/known"] })).toMatchObject({
      hostKeyPolicy: "off",
      knownHostsFiles: ["/env/known"],
    });
  });

  it("refuse a value that is not one, naming it", async () => {
    await expect(resolve("web1", "Host *\n  Port ssh\n")).rejects.toThrow("the OpenSSH config sets Port ssh, expected a port number");
    await expect(resolve("web1", "Host *\n  StrictHostKeyChecking maybe\n")).rejects.toThrow("StrictHostKeyChecking maybe");
  });
});

describe("reading the files", () => {
  it("skips a missing default file but refuses a missing file named in ssh.config", async () => {
    const config = await OpenSshConfig.read([{ path: join(dir, "absent"), optional: true }]);
    expect(config.files).toEqual([]);
    await expect(OpenSshConfig.read([{ path: join(dir, "absent"), optional: false }])).rejects.toThrow(
      `the OpenSSH config file ${join(dir, "absent")} cannot be read`,
    );
  });

  it("names the file it cannot parse", async () => {
    const path = await configFile('Host web1\n  ProxyCommand "unterminated\n');
    await expect(OpenSshConfig.read([{ path, optional: false }])).rejects.toThrow(`the OpenSSH config file ${path} cannot be parsed`);
  });

  it("follows Include, with globs, relative to the including file's ~/.ssh, and inside a Host block", async () => {
    await mkdir(join(dir, "conf.d"), { recursive: true });
    await writeFile(join(dir, "conf.d", "10-web"), "Host web1\n  HostName 10.0.0.11\n");
    await writeFile(join(dir, "conf.d", "20-db"), "Host db1\n  HostName 10.0.0.21\n");
    await writeFile(join(dir, "app-user"), "User app\n");
    const main = await configFile(
      [`Include ${join(dir, "conf.d")}/*`, "Host web*", `  Include ${join(dir, "app-user")}`, "  Port 2222", ""].join("\n"),
    );
    const config = await OpenSshConfig.read([{ path: main, optional: false }]);
    expect(endpoint(resolveHost("web1", unset, config))).toBe("app@10.0.0.11:2222");
    expect(endpoint(resolveHost("db1", unset, config))).toBe("root@10.0.0.21:22");
    expect(resolveHost("web1", unset, config).entries).toEqual([
      `${join(dir, "conf.d", "10-web")}: Host web1`,
      `${main}: Host web*`,
    ]);
  });

  it("reads nothing with ssh.config: false", async () => {
    const config = await OpenSshConfig.read([]);
    expect(endpoint(resolveHost("web1", unset, config))).toBe("root@web1:22");
  });
});
