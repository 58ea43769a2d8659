// A throwaway OpenSSH server on 127.0.0.1 for the transport tests: its own host keys, one client
// key, key-only root login. It runs in a private mount namespace with an empty /root when the
// machine allows it, so the real root's shell start-up files neither slow nor disturb the tests.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { freePort, waitFor } from "./wait.js";

export interface TestSshd {
  readonly port: number;
  readonly dir: string;
  /** Private key accepted for root. */
  readonly clientKey: string;
  /** `type base64` of the host keys, as in a known_hosts line. */
  readonly hostKeys: { readonly ed25519: string; readonly rsa: string };
  /** What sshd logged so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Offer the SFTP subsystem (default true). */
  readonly sftp?: boolean;
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), "mrsk-sshd-"));
  const home = join(dir, "home");
  await mkdir(home);
  await mkdir("/run/sshd", { recursive: true });
  await keygen(join(dir, "host_ed25519"), "ed25519");
  await keygen(join(dir, "host_rsa"), "rsa");
  await keygen(join(dir, "client"), "ed25519");
  await writeFile(join(dir, "authorized_keys"), await readFile(join(dir, "client.pub")));
  const port = await freePort();
  const config = join(dir, "sshd_config");
  await writeFile(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "host_ed25519")}`,
      `HostKey ${join(dir, "host_rsa")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "MaxSessions 100",
      "MaxStartups 100",
      "UseDNS no",
      "AllowTcpForwarding yes",
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      ...(options.sftp === false ? [] : ["Subsystem sftp /usr/lib/openssh/sftp-server"]),
      "",
    ].join("\n"),
  );

  const child = await spawnSshd(config, home);
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  await waitFor(() => log.includes("Server listening"), 5_000, () => `sshd did not start:\n${log}`);

  return {
    port,
    dir,
    clientKey: join(dir, "client"),
    hostKeys: {
      ed25519: await publicKeyOf(join(dir, "host_ed25519.pub")),
      rsa: await publicKeyOf(join(dir, "host_rsa.pub")),
    },
    log: () => log,
    stop: async () => {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An ssh-agent holding the client key, on its own socket. */
export async function startAgent(dir: string, key: string): Promise<{ socket: string; stop(): Promise<void> }> {
  const socket = join(dir, `agent-${process.hrtime.bigint()}.sock`);
  const child = spawn("ssh-agent", ["-D", "-a", socket], { stdio: ["ignore", "ignore", "pipe"] });
  await waitFor(() => existsSync(socket), 5_000, () => "ssh-agent did not create its socket");
  await execa("ssh-add", [key], { env: { SSH_AUTH_SOCK: socket } });
  return { socket, stop: () => stopProcess(child) };
}

/** Sshd inside a new mount namespace whose /root is `home`; plain sshd where namespaces are not allowed. */
async function spawnSshd(config: string, home: string): Promise<ChildProcess> {
  const sshd = ["/usr/sbin/sshd", "-D", "-e", "-f", config];
  const isolated = (await execa("unshare", ["-m", "true"], { reject: false })).exitCode === 0;
  const [file, ...args] = isolated
    ? ["unshare", "-m", "--", "sh", "-c", 'mount --bind "$1" /root && shift && exec "$@"', "sh", home, ...sshd]
    : sshd;
  // unshare and sh exec into sshd, so this PID is sshd's.
  return spawn(file!, args, { stdio: ["ignore", "ignore", "pipe"] });
}

async function keygen(path: string, type: "ed25519" | "rsa"): Promise<void> {
  await execa("ssh-keygen", ["-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", "", "-C", "", "-f", path]);
}

async function publicKeyOf(path: string): Promise<string> {
  return (await readFile(path, "utf8")).trim().split(/\s+/).slice(0, 2).join(" ");
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}
