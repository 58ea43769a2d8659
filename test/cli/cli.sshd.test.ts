import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd, type TestSshd } from "../support/sshd.js";
import { waitFor } from "../support/wait.js";

// The built `mrsk` command against a real sshd on loopback: server exec and the lock commands,
// with secrets from .env redacted everywhere.

const BIN = join(import.meta.dirname, "../../bin/mrsk");
const SECRET = "sup3r-secret-master-key";

let sshd: TestSshd;
let project: string;
let home: string;

async function mrsk(...args: string[]) {
  return execa("node", [BIN, ...args], { cwd: project, env: { HOME: home, PATH: process.env.PATH!, VERSION: "v1" }, extendEnv: false, reject: false });
}

beforeAll(async () => {
  if (!existsSync(join(import.meta.dirname, "../../dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  sshd = await startSshd();
  project = mkdtempSync(join(tmpdir(), "mrsk-cli-"));
  home = mkdtempSync(join(tmpdir(), "mrsk-home-"));
  mkdirSync(join(project, "config"));
  writeFileSync(
    join(project, "config/deploy.yml"),
    [
      "service: app",
      "image: app",
      "servers:",
      "  - 127.0.0.1",
      "registry:",
      "  server: localhost:5555",
      "env:",
      "  secret:",
      "    - RAILS_MASTER_KEY",
      "ssh:",
      `  port: ${sshd.port}`,
      "  keys:",
      `    - ${sshd.clientKey}`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(project, ".env"), `RAILS_MASTER_KEY=${SECRET}\n`);
});

afterAll(async () => {
  await sshd?.stop();
  for (const dir of [project, home]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("mrsk through a real sshd", () => {
  it("runs server exec on the host and shows its output, prefixed by host", async () => {
    const result = await mrsk("server", "exec", "echo hello from $(hostname) && pwd");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^\[127\.0\.0\.1\] hello from \S+$/m);
    expect(result.stdout).toMatch(/^\[127\.0\.0\.1\] \/root$/m);
    // accept-new recorded the host key in the known_hosts of HOME.
    expect(readFileSync(join(home, ".ssh/known_hosts"), "utf8")).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
    expect(readFileSync(join(sshd.dir, "home/.mrsk/app/audit.log"), "utf8")).toMatch(/\] Executed cmd 'echo hello from \$\(hostname\) && pwd' on 127\.0\.0\.1\n$/);
  });

  it("redacts secret values from commands and their output", async () => {
    const result = await mrsk("server", "exec", "-v", `echo ${SECRET}`);
    expect(result.exitCode).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(SECRET);
    expect(result.stdout).toContain("[127.0.0.1] [REDACTED]");
    expect(readFileSync(join(sshd.dir, "home/.mrsk/app/audit.log"), "utf8")).not.toContain(SECRET);
  });

  it("exits non-zero and names the host when the command fails", async () => {
    const result = await mrsk("server", "exec", "echo oops >&2; exit 3");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/ERROR Command failed on 127\.0\.0\.1 with exit code 3: echo oops >&2; exit 3\n\s+oops/);
  });

  it("acquires, shows, refuses a second acquire of, and releases the deploy lock", async () => {
    expect((await mrsk("lock", "status")).stdout).toContain("There is no deploy lock");

    const acquired = await mrsk("lock", "acquire", "-m", "Database maintenance");
    expect(acquired.exitCode).toBe(0);
    expect(existsSync(join(sshd.dir, "home/.mrsk/lock-app/details"))).toBe(true);

    const status = await mrsk("lock", "status");
    expect(status.stdout).toMatch(/Locked by: .+ at \d{4}-\d\d-\d\dT/);
    expect(status.stdout).toContain("Version: v1");
    expect(status.stdout).toContain("Message: Database maintenance");
    expect(status.stdout).toMatch(/Held for: \d+s/);

    const second = await mrsk("lock", "acquire", "-m", "another");
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/Deploy lock found on 127\.0\.0\.1, held for \d+s:\n\s+Locked by: .*\n\s+Version: v1\n\s+Message: Database maintenance/);

    const released = await mrsk("lock", "release");
    expect(released.exitCode).toBe(0);
    expect(existsSync(join(sshd.dir, "home/.mrsk/lock-app"))).toBe(false);
    expect((await mrsk("lock", "status")).stdout).toContain("There is no deploy lock");
  });

  it("prints the lock commands with --dry-run and changes nothing", async () => {
    const result = await mrsk("lock", "acquire", "-m", "dry", "--dry-run");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/\[127\.0\.0\.1\] \$ mkdir -p \.mrsk && mkdir \.mrsk\/lock-app && echo [A-Za-z0-9+/=]+ > \.mrsk\/lock-app\/details/);
    expect(existsSync(join(sshd.dir, "home/.mrsk/lock-app"))).toBe(false);
  });

  it("writes NDJSON events with --json", async () => {
    const result = await mrsk("server", "exec", "--json", "echo json");
    const events = result.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; host?: string; text?: string });
    expect(events).toContainEqual(expect.objectContaining({ type: "result", host: "127.0.0.1", text: "json" }));
    expect(events.some((e) => e.type === "command")).toBe(true);
  });

  describe("an encrypted key named by an alias in an OpenSSH config file", () => {
    const PASSPHRASE = "open sesame 42";
    let key: string;

    beforeAll(async () => {
      key = join(home, "id_encrypted");
      await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", PASSPHRASE, "-a", "1", "-C", "", "-f", key]);
      appendFileSync(join(sshd.dir, "authorized_keys"), readFileSync(`${key}.pub`));
      const sshConfig = join(project, "ssh_config");
      writeFileSync(sshConfig, ["Host enc-a enc-b", "  HostName 127.0.0.1", `  Port ${sshd.port}`, `  IdentityFile ${key}`, "  IdentitiesOnly yes", ""].join("\n"));
      writeFileSync(
        join(project, "config/encrypted.yml"),
        ["service: app", "image: app", "servers:", "  - enc-a", "  - enc-b", "registry:", "  server: localhost:5555", "ssh:", "  config: ssh_config", ""].join("\n"),
      );
    });

    it("asks for the passphrase on the terminal once for both hosts, without echo", async () => {
      const script = "import os, pty, sys\nstatus = pty.spawn(sys.argv[1:])\nsys.exit(os.waitstatus_to_exitcode(status))";
      const child = spawn("python3", ["-c", script, "node", BIN, "server", "exec", "-c", "config/encrypted.yml", "echo reached"], {
        cwd: project,
        env: { HOME: home, PATH: process.env.PATH!, TERM: "dumb" },
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      await waitFor(() => output.includes("Enter passphrase for key"), 15_000, () => `no prompt:\n${output}`);
      child.stdin.write(`${PASSPHRASE}\r`);
      const timeout = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const exitCode = await exited;
      clearTimeout(timeout);
      expect(exitCode).toBe(0);
      expect(output.split(`Enter passphrase for key '${key}': `).length - 1).toBe(1);
      expect(output).toMatch(/^\[enc-a\] reached\r?$/m);
      expect(output).toMatch(/^\[enc-b\] reached\r?$/m);
      expect(output).not.toContain(PASSPHRASE);
    });

    it("without a terminal, fails at once naming the key and suggesting ssh-agent", async () => {
      const result = await mrsk("server", "exec", "-c", "config/encrypted.yml", "echo reached");
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`key ${key} (encrypted, and there is no terminal to ask for its passphrase: load it into ssh-agent with \`ssh-add ${key}\`)`);
    });
  });

  it("names an unreachable host and fails", async () => {
    writeFileSync(join(project, "config/deploy.unreachable.yml"), "servers:\n  - 127.0.0.2\nssh:\n  port: 1\n");
    const result = await mrsk("server", "exec", "-d", "unreachable", "true");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Could not connect to 127\.0\.0\.2/);
  });
});
