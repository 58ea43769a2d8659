// The SSH transport against a real OpenSSH server on the loopback interface.
import { createServer, type Server } from "node:net";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { op, type Cmd } from "../../src/commands/shell.js";
import { ConnectionError, RemoteCommandError } from "../../src/errors.js";
import { fingerprint } from "../../src/transport/known-hosts.js";
import { SshTransport } from "../../src/transport/ssh.js";
import type { SshSettings, TransportEvent } from "../../src/transport/types.js";
import { startAgent, startSshd, type TestSshd } from "../support/sshd.js";
import { freePort, waitFor } from "../support/wait.js";

const SECRET = "hunter2-secret";
const redact = (text: string): string => text.replaceAll(SECRET, "[REDACTED]");

let sshd: TestSshd;
const open: SshTransport[] = [];

beforeAll(async () => {
  sshd = await startSshd();
}, 60_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  await sshd?.stop();
});

function settingsFor(overrides: Partial<SshSettings> = {}): SshSettings {
  return {
    user: "root",
    port: sshd.port,
    keys: [sshd.clientKey],
    keyData: [],
    keysOnly: true,
    agent: undefined,
    proxy: undefined,
    proxyCommand: undefined,
    keepaliveIntervalMs: 30_000,
    connectTimeoutMs: 5_000,
    knownHostsFiles: [],
    hostKeyPolicy: "off",
    maxConcurrentStarts: 10,
    configFiles: [],
    ...overrides,
  };
}

function transport(overrides: Partial<SshSettings> = {}): { ssh: SshTransport; events: TransportEvent[] } {
  const events: TransportEvent[] = [];
  const ssh = new SshTransport({ settings: settingsFor(overrides), redact, listener: (e) => events.push(e) });
  open.push(ssh);
  return { ssh, events };
}

const HOST = "127.0.0.1";

async function remoteProcessesMatching(text: string): Promise<string[]> {
  // The server is this machine: its processes are ours to list.
  const { stdout } = await execa("ps", ["-eo", "pid=,args="]);
  return stdout.split("\n").filter((line) => line.includes(text));
}

describe("running commands", () => {
  it("captures stdout, stderr and the exit code, and reports the redacted line", async () => {
    const { ssh, events } = transport();
    const session = await ssh.session(HOST);
    const result = await session.run(["sh", "-c", "echo out; echo err >&2", "ignored", SECRET]);
    expect(result).toMatchObject({ host: HOST, stdout: "out\n", stderr: "err\n", exitCode: 0 });
    expect(result.line).toBe("sh -c 'echo out; echo err >&2' ignored [REDACTED]");
    expect(events.filter((e) => e.type === "command")).toEqual([{ type: "command", host: HOST, line: result.line }]);
    expect(events.find((e) => e.type === "command-done")).toMatchObject({ exitCode: 0, line: result.line });
  });

  it("sends stdin and closes it", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    const binary = Buffer.from([0, 1, 2, 255, 10, 13]);
    expect((await session.run(["cat"], { stdin: "line one\nline two" })).stdout).toBe("line one\nline two");
    expect((await session.run(["wc", "-c"], { stdin: binary })).stdout.trim()).toBe("6");
    expect((await session.run(["cat"])).stdout).toBe("");
  });

  it("throws RemoteCommandError with host, redacted command, exit code and stderr on failure", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    const failing: Cmd = ["sh", "-c", "echo broken >&2; exit 3", "sh", SECRET];
    const error = await session.run(failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect(error).toMatchObject({ host: HOST, exitCode: 3, stderr: "broken\n", command: "sh -c 'echo broken >&2; exit 3' sh [REDACTED]" });
    expect((error as Error).message).not.toContain(SECRET);
    expect(await session.run(failing, { tolerate: true })).toMatchObject({ exitCode: 3, stderr: "broken\n" });
  });

  it("refuses env and cwd, which only local commands take", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    await expect(session.run(["true"], { env: { A: "1" } })).rejects.toThrow("env and cwd apply only to commands on this machine");
  });

  it("echoes output line by line as output events", async () => {
    const { ssh, events } = transport();
    const session = await ssh.session(HOST);
    await session.run(["sh", "-c", "printf 'a\\nb\\n'; printf 'c' >&2"], { echo: true });
    const output = events.flatMap((e) => (e.type === "output" ? [`${e.stream}:${e.text}`] : []));
    expect(output.sort()).toEqual(["stderr:c", "stdout:a", "stdout:b"]);
  });

  it("runs many commands in parallel on one connection", async () => {
    const { ssh, events } = transport();
    const acceptedBefore = sshd.log().split("Accepted publickey").length;
    const sessions = await Promise.all(Array.from({ length: 5 }, () => ssh.session(HOST)));
    expect(new Set(sessions).size).toBe(1);
    // Each command waits until 8 have started: run one after another, the first would never end.
    const started = await mkdtemp(join(sshd.dir, "started-"));
    const waitForEight = 'touch "$1/$2"; until [ "$(ls "$1" | wc -l)" -ge 8 ]; do sleep 0.02; done; echo "$2"';
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => sessions[0]!.run(["sh", "-c", waitForEight, "sh", started, String(i)])),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 40 }, (_, i) => `${i}\n`));
    expect(events.filter((e) => e.type === "connect")).toHaveLength(1);
    expect(sshd.log().split("Accepted publickey").length - acceptedBefore).toBe(1);
  });

  it("aborts a running command when its signal fires", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    const controller = new AbortController();
    const running = session.run(["sleep", "1"], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 100);
    await expect(running).rejects.toThrow("stop");
    expect((await session.run(["echo", "still usable"])).stdout).toBe("still usable\n");
  });

  it("prints the latency of sequential commands on one connection", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    await session.run(["true"]);
    const started = performance.now();
    for (let i = 0; i < 20; i++) await session.run(["true"]);
    const perCommand = (performance.now() - started) / 20;
    console.log(`ssh exec latency: ${perCommand.toFixed(1)} ms per command (20 sequential \`true\`)`);
  });
});

describe("uploads", () => {
  it("writes the file with exactly the mode, whatever the umask or an earlier mode", async () => {
    const { ssh, events } = transport();
    const session = await ssh.session(HOST);
    const path = join(sshd.dir, "secret.env");
    await writeFile(path, "old", { mode: 0o644 });
    await session.upload(path, `TOKEN=${SECRET}\n`, 0o600);
    expect((await session.run(["stat", "-c", "%a", path])).stdout.trim()).toBe("600");
    expect((await session.run(["cat", path])).stdout).toBe(`TOKEN=${SECRET}\n`);
    await session.upload(join(sshd.dir, "script.sh"), "#!/bin/sh\n", 0o755);
    expect((await session.run(["stat", "-c", "%a", join(sshd.dir, "script.sh")])).stdout.trim()).toBe("755");
    expect(events.find((e) => e.type === "upload")).toEqual({ type: "upload", host: HOST, path, mode: 0o600, bytes: 21 });
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it("resolves relative and ~/ paths against the login directory", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    await session.upload("~/relative.txt", "hello", 0o640);
    const { stdout } = await session.run(["sh", "-c", "cd && stat -c %a relative.txt && cat relative.txt && rm relative.txt"]);
    expect(stdout).toBe("640\nhello");
  });

  it("names the host and the path when the directory is missing", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    await expect(session.upload(join(sshd.dir, "missing", "x"), "x", 0o600)).rejects.toThrow(
      `Could not write ${join(sshd.dir, "missing", "x")} on ${HOST}`,
    );
  });

  it("needs no SFTP subsystem on the server", async () => {
    const plain = await startSshd({ sftp: false });
    try {
      const ssh = new SshTransport({ settings: { ...settingsFor(), port: plain.port, keys: [plain.clientKey] }, redact });
      open.push(ssh);
      const session = await ssh.session(HOST);
      const path = join(plain.dir, "it's a file.env");
      await session.upload(path, "A=1\n", 0o600);
      expect((await session.run(["stat", "-c", "%a", path])).stdout.trim()).toBe("600");
      expect(await readFile(path, "utf8")).toBe("A=1\n");
      await ssh.close();
    } finally {
      await plain.stop();
    }
  });
});

describe("streams", () => {
  it("passes output through and resolves with the exit code", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    const chunks: Buffer[] = [];
    const code = await session.stream(["sh", "-c", "for i in 1 2 3; do echo $i; done; exit 4"], {
      onStdout: (c) => chunks.push(c),
    });
    expect(code).toBe(4);
    expect(Buffer.concat(chunks).toString()).toBe("1\n2\n3\n");
  });

  it("keeps stderr apart without a terminal", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    let out = "";
    let err = "";
    const code = await session.stream(["sh", "-c", "echo o; echo e >&2"], {
      pty: false,
      onStdout: (c) => (out += c),
      onStderr: (c) => (err += c),
    });
    expect([code, out, err]).toEqual([0, "o\n", "e\n"]);
  });

  it("ends the remote process when a follow stream is aborted", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    const marker = "sleep 4242";
    const controller = new AbortController();
    let out = "";
    const streaming = session.stream(["sh", "-c", `echo started; ${marker}; echo after`], {
      signal: controller.signal,
      onStdout: (c) => (out += c),
    });
    await waitFor(() => out.includes("started"), 5_000, () => "the stream did not start");
    expect(await remoteProcessesMatching(marker)).not.toEqual([]);
    controller.abort();
    expect(await streaming).toBeNull();
    await waitFor(async () => (await remoteProcessesMatching(marker)).length === 0, 5_000, () => `${marker} still runs`);
    expect(out).not.toContain("after");
  });
});

describe("host keys", () => {
  const hostName = (): string => `[127.0.0.1]:${sshd.port}`;

  it("records an unknown host with accept-new, then trusts it under strict", async () => {
    const knownHosts = join(sshd.dir, "known_hosts_accept");
    await writeFile(knownHosts, "# mine\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJTRXBXVC5wSthOj5YWvxGsrnhvD9b4/t+QDHlBwmEym");
    const { ssh } = transport({ knownHostsFiles: [knownHosts], hostKeyPolicy: "accept-new" });
    await (await ssh.session(HOST)).run(["true"]);
    const lines = (await readFile(knownHosts, "utf8")).split("\n");
    expect(lines).toContain(`${hostName()} ${sshd.hostKeys.ed25519}`);
    expect(lines[1]).toContain("other.example");

    const strict = transport({ knownHostsFiles: [knownHosts], hostKeyPolicy: "strict" });
    expect((await (await strict.ssh.session(HOST)).run(["echo", "ok"])).stdout).toBe("ok\n");
  });

  it("refuses an unknown host under strict", async () => {
    const { ssh } = transport({ knownHostsFiles: [join(sshd.dir, "known_hosts_empty")], hostKeyPolicy: "strict" });
    const error = await ssh.session(HOST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain(`the host key of ${hostName()} is not known`);
    expect((error as ConnectionError).hint).toContain("ssh-keyscan");
  });

  it("fails on a changed key, naming the host, the file and line, and both fingerprints", async () => {
    const knownHosts = join(sshd.dir, "known_hosts_wrong");
    const wrong = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJTRXBXVC5wSthOj5YWvxGsrnhvD9b4/t+QDHlBwmEym";
    await writeFile(knownHosts, `# first line\n${hostName()} ${wrong}\n`);
    for (const hostKeyPolicy of ["accept-new", "strict"] as const) {
      const { ssh } = transport({ knownHostsFiles: [knownHosts], hostKeyPolicy });
      const error = (await ssh.session(HOST).catch((e: unknown) => e)) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.host).toBe(HOST);
      expect(error.message).toContain(`HOST KEY MISMATCH for ${hostName()}`);
      expect(error.message).toContain(`${knownHosts}:2`);
      expect(error.message).toContain(fingerprint(Buffer.from(wrong.split(" ")[1]!, "base64")));
      expect(error.message).toContain(fingerprint(Buffer.from(sshd.hostKeys.ed25519.split(" ")[1]!, "base64")));
      expect(error.hint).toContain(`ssh-keygen -R '${hostName()}' -f ${knownHosts}`);
    }
  });

  it("asks for the key type on record, so a host known by its RSA key passes", async () => {
    const knownHosts = join(sshd.dir, "known_hosts_rsa");
    await writeFile(knownHosts, `${hostName()} ${sshd.hostKeys.rsa}\n`);
    const { ssh } = transport({ knownHostsFiles: [knownHosts], hostKeyPolicy: "strict" });
    expect((await (await ssh.session(HOST)).run(["echo", "ok"])).stdout).toBe("ok\n");
  });

  it("matches hashed known_hosts entries", async () => {
    const knownHosts = join(sshd.dir, "known_hosts_hashed");
    await writeFile(knownHosts, `${hostName()} ${sshd.hostKeys.ed25519}\n`);
    await execa("ssh-keygen", ["-H", "-f", knownHosts]);
    expect(await readFile(knownHosts, "utf8")).toMatch(/^\|1\|/);
    const { ssh } = transport({ knownHostsFiles: [knownHosts], hostKeyPolicy: "strict" });
    expect((await (await ssh.session(HOST)).run(["echo", "ok"])).stdout).toBe("ok\n");
  });
});

describe("authentication and routes", () => {
  it("authenticates with the agent", async () => {
    const agent = await startAgent(sshd.dir, sshd.clientKey);
    try {
      const { ssh } = transport({ keys: [], keysOnly: false, agent: agent.socket });
      expect((await (await ssh.session(HOST)).run(["echo", "agent"])).stdout).toBe("agent\n");
      await ssh.close();
    } finally {
      await agent.stop();
    }
  });

  it("explains a refused login: the user and the keys tried", async () => {
    const otherKey = join(sshd.dir, "not-authorized");
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]);
    const { ssh } = transport({ keys: [otherKey, join(sshd.dir, "no-such-key")] });
    const error = (await ssh.session(HOST).catch((e: unknown) => e)) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain(`authentication failed for root@127.0.0.1:${sshd.port}`);
    expect(error.hint).toContain(`Tried user root with: ${otherKey}`);
    expect(error.hint).toContain(`${join(sshd.dir, "no-such-key")} (not readable)`);
  });

  it("explains a refused TCP connection with host and port", async () => {
    const port = await freePort();
    const { ssh } = transport({ port });
    const error = (await ssh.session(HOST).catch((e: unknown) => e)) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toBe(`Could not connect to ${HOST}: connection refused by 127.0.0.1:${port}`);
    // The failure is remembered: the next step fails at once instead of trying again.
    await expect(ssh.session(HOST)).rejects.toBe(error);
  });

  it("opens at most maxConcurrentStarts connections at a time", async () => {
    // A server that accepts but never speaks SSH keeps its start slot until the handshake times out.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentHost = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const order = async (maxConcurrentStarts: number): Promise<string[]> => {
        const finished: string[] = [];
        const { ssh } = transport({ maxConcurrentStarts, connectTimeoutMs: 500 });
        await Promise.all(
          [silentHost, HOST].map((host) =>
            ssh.session(host).then(
              () => finished.push(`${host} ready`),
              () => finished.push(`${host} failed`),
            ),
          ),
        );
        return finished;
      };
      expect(await order(1)).toEqual([`${silentHost} failed`, `${HOST} ready`]);
      const { ssh } = transport({ connectTimeoutMs: 500 });
      await expect(ssh.session(silentHost)).rejects.toThrow(`no SSH handshake with ${silentHost} within 0.5 s`);
      expect(await order(2)).toEqual([`${HOST} ready`, `${silentHost} failed`]);
    } finally {
      silent.close();
    }
  });

  it("reads user and port from the host string", async () => {
    const { ssh } = transport({ user: "nobody-at-all", port: 1 });
    const result = await (await ssh.session(`root@127.0.0.1:${sshd.port}`)).run(["whoami"]);
    expect(result.stdout).toBe("root\n");
  });

  it("goes through a jump host", async () => {
    const { ssh, events } = transport({ proxy: `root@127.0.0.1:${sshd.port}` });
    const session = await ssh.session(HOST);
    expect((await session.run(["echo", "jumped"])).stdout).toBe("jumped\n");
    expect(events.filter((e) => e.type === "connect").map((e) => e.host)).toEqual([`root@127.0.0.1:${sshd.port}`, HOST]);
  });

  it("says when the jump host itself cannot be reached, or cannot reach the target", async () => {
    const closedPort = await freePort();
    const deadJump = transport({ proxy: `root@127.0.0.1:${closedPort}` });
    const error = (await deadJump.ssh.session(HOST).catch((e: unknown) => e)) as ConnectionError;
    expect(error.message).toBe(
      `Could not connect to ${HOST}: the jump host failed: Could not connect to root@127.0.0.1:${closedPort}: connection refused by 127.0.0.1:${closedPort}`,
    );
    const jump = transport({ proxy: `root@127.0.0.1:${sshd.port}`, port: closedPort });
    const unreachable = (await jump.ssh.session(HOST).catch((e: unknown) => e)) as ConnectionError;
    expect(unreachable).toBeInstanceOf(ConnectionError);
    expect(unreachable.message).toContain(`jump host root@127.0.0.1:${sshd.port} could not reach 127.0.0.1:${closedPort}`);
  });

  it("goes through a proxy command", async () => {
    const { ssh } = transport({ proxyCommand: "busybox nc %h %p" });
    const session = await ssh.session(HOST);
    expect((await session.run(["echo", "proxied"])).stdout).toBe("proxied\n");
  });
});

describe("OpenSSH config files (ssh.config)", () => {
  let encryptedKey: string;

  beforeAll(async () => {
    encryptedKey = join(sshd.dir, "encrypted_client");
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "open sesame", "-a", "1", "-C", "", "-f", encryptedKey]);
    const authorized = join(sshd.dir, "authorized_keys");
    await writeFile(authorized, (await readFile(authorized, "utf8")) + (await readFile(`${encryptedKey}.pub`, "utf8")));
  });

  /** deploy.yml setting nothing but ssh.config: user, port and keys come from `text`. */
  async function configured(text: string, options: { prompt?: (file: string) => Promise<string | undefined>; agent?: string } = {}) {
    const path = join(sshd.dir, `ssh_config-${process.hrtime.bigint()}`);
    await writeFile(path, text);
    const events: TransportEvent[] = [];
    const debug: string[] = [];
    const ssh = new SshTransport({
      settings: settingsFor({ user: undefined, port: undefined, keys: [], keysOnly: undefined, agent: options.agent, configFiles: [{ path, optional: false }] }),
      redact,
      listener: (e) => events.push(e),
      passphrasePrompt: options.prompt ?? (async () => undefined),
      debug: (message, host) => debug.push(host === undefined ? message : `[${host}] ${message}`),
    });
    open.push(ssh);
    return { ssh, events, debug, path };
  }

  it("reaches an alias at its HostName and Port with its IdentityFile, and shows it by its alias", async () => {
    const { ssh, events, debug, path } = await configured(
      ["Host web-alias", "  HostName 127.0.0.1", `  Port ${sshd.port}`, "  User root", `  IdentityFile ${sshd.clientKey}`, "  IdentitiesOnly yes", ""].join("\n"),
    );
    const session = await ssh.session("web-alias");
    const result = await session.run(["echo", "aliased"]);
    expect(result).toMatchObject({ host: "web-alias", stdout: "aliased\n" });
    expect(events.filter((e) => e.type === "connect").map((e) => e.host)).toEqual(["web-alias"]);
    expect(debug).toEqual([
      `ssh: OpenSSH config files read: ${path}`,
      `[web-alias] ssh: web-alias is root@127.0.0.1:${sshd.port} (${path}: Host web-alias)`,
      "[web-alias] ssh: host keys: off, known_hosts: none; connect timeout 5 s, keepalive every 30 s",
      `[web-alias] ssh: keys offered to root@127.0.0.1: ${sshd.clientKey}`,
    ]);
  });

  it("goes through the ProxyJump of an alias, the jump host an alias too", async () => {
    const { ssh, events, debug } = await configured(
      [
        "Host inner",
        "  HostName 127.0.0.1",
        "  ProxyJump bastion",
        "Host bastion",
        "  HostName 127.0.0.1",
        "Host *",
        `  Port ${sshd.port}`,
        `  IdentityFile ${sshd.clientKey}`,
        "",
      ].join("\n"),
    );
    expect((await (await ssh.session("inner")).run(["echo", "jumped"])).stdout).toBe("jumped\n");
    expect(events.filter((e) => e.type === "connect").map((e) => e.host)).toEqual(["bastion", "inner"]);
    expect(debug).toContain(`[inner] ssh: jump hosts: bastion (root@127.0.0.1:${sshd.port}; ${debug[0]!.replace(/^.*read: /, "")}: Host bastion; ${debug[0]!.replace(/^.*read: /, "")}: Host *)`);
  });

  it("signs in with the agent named by IdentityAgent", async () => {
    const agent = await startAgent(sshd.dir, sshd.clientKey);
    try {
      const { ssh } = await configured(["Host agented", "  HostName 127.0.0.1", `  Port ${sshd.port}`, `  IdentityAgent ${agent.socket}`, ""].join("\n"));
      expect((await (await ssh.session("agented")).run(["echo", "via agent"])).stdout).toBe("via agent\n");
    } finally {
      await agent.stop();
    }
  });

  it("asks once for the passphrase of an encrypted IdentityFile used by two hosts", async () => {
    const asked: string[] = [];
    const { ssh } = await configured(
      ["Host enc1 enc2", "  HostName 127.0.0.1", `  Port ${sshd.port}`, `  IdentityFile ${encryptedKey}`, "  IdentitiesOnly yes", ""].join("\n"),
      {
        prompt: async (file) => {
          asked.push(file);
          return "open sesame";
        },
      },
    );
    const results = await Promise.all(["enc1", "enc2"].map(async (host) => (await ssh.session(host)).run(["echo", host])));
    expect(results.map((r) => r.stdout)).toEqual(["enc1\n", "enc2\n"]);
    expect(asked).toEqual([encryptedKey]);
  });

  it("with IdentitiesOnly, signs with the agent's copy of an encrypted IdentityFile instead of asking, and with no other agent key", async () => {
    const decrypted = join(sshd.dir, "decrypted_client");
    await writeFile(decrypted, await readFile(encryptedKey));
    await execa("chmod", ["600", decrypted]);
    await execa("ssh-keygen", ["-q", "-p", "-P", "open sesame", "-N", "", "-f", decrypted]);
    const text = ["Host enc", "  HostName 127.0.0.1", `  Port ${sshd.port}`, `  IdentityFile ${encryptedKey}`, "  IdentitiesOnly yes", ""].join("\n");
    const holding = await startAgent(sshd.dir, decrypted);
    const other = await startAgent(sshd.dir, sshd.clientKey);
    try {
      const asked: string[] = [];
      const prompt = async (file: string) => {
        asked.push(file);
        return undefined;
      };
      const { ssh } = await configured(text, { prompt, agent: holding.socket });
      expect((await (await ssh.session("enc")).run(["echo", "agent copy"])).stdout).toBe("agent copy\n");
      expect(asked).toEqual([]);
      // An agent holding only a key that is not the IdentityFile (though authorized) is not used.
      const { ssh: unrelated } = await configured(text, { prompt, agent: other.socket });
      const error = (await unrelated.session("enc").catch((e: unknown) => e)) as ConnectionError;
      expect(error.message).toContain(`authentication failed for root@127.0.0.1:${sshd.port}: key ${encryptedKey}`);
      expect(asked).toEqual([encryptedKey]);
    } finally {
      await holding.stop();
      await other.stop();
    }
  });

  it("without a terminal, fails at once on an encrypted key, naming it and suggesting ssh-agent", async () => {
    const { ssh } = await configured(
      ["Host enc", "  HostName 127.0.0.1", `  Port ${sshd.port}`, `  IdentityFile ${encryptedKey}`, "  IdentitiesOnly yes", ""].join("\n"),
    );
    const error = (await ssh.session("enc").catch((e: unknown) => e)) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toBe(
      `Could not connect to enc: authentication failed for root@127.0.0.1:${sshd.port}: key ${encryptedKey} ` +
        `(encrypted, and there is no terminal to ask for its passphrase: load it into ssh-agent with \`ssh-add ${encryptedKey}\`)`,
    );
  });
});

describe("port forwarding", () => {
  let local: Server;
  let localPort: number;

  beforeAll(async () => {
    local = createServer((socket) => socket.end("pong from local\n"));
    await new Promise<void>((resolve) => local.listen(0, "127.0.0.1", resolve));
    localPort = (local.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => local.close(resolve));
  });

  it("forwards a port on the host to a local port until closed", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    const remotePort = await freePort();
    const unforward = await session.forwardRemotePort(remotePort, "127.0.0.1", localPort);
    const fetch: Cmd = ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${remotePort} && cat <&3`];
    expect((await session.run(fetch)).stdout).toBe("pong from local\n");
    await unforward();
    await unforward();
    expect((await session.run(fetch, { tolerate: true })).exitCode).not.toBe(0);
  });
});

describe("closing", () => {
  it("ends every connection, more than once without harm", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    await session.run(["true"]);
    await ssh.close();
    await ssh.close();
    await expect(session.run(["true"])).rejects.toBeInstanceOf(ConnectionError);
    await expect(ssh.session(HOST)).rejects.toBeInstanceOf(ConnectionError);
  });

  it("leaves no process of a proxy command behind", async () => {
    const { ssh } = transport({ proxyCommand: "busybox nc %h %p" });
    const proxy = `nc 127.0.0.1 ${sshd.port}`;
    await (await ssh.session(HOST)).run(["true"]);
    expect(await remoteProcessesMatching(proxy)).not.toEqual([]);
    await ssh.close();
    await waitFor(async () => (await remoteProcessesMatching(proxy)).length === 0, 5_000, () => "proxy command still runs");
  });
});

// Operators are data too: a pipeline runs as one remote shell line.
describe("shell lines", () => {
  it("runs operator words unquoted", async () => {
    const { ssh } = transport();
    const session = await ssh.session(HOST);
    const result = await session.run(["echo", "a b", op("|"), "tr", "a", "x"]);
    expect(result.stdout).toBe("x b\n");
  });
});
