import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/errors.js";
import { KnownHosts } from "../../src/transport/host-key-check.js";
import { fingerprint } from "../../src/transport/known-hosts.js";

const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIJTRXBXVC5wSthOj5YWvxGsrnhvD9b4/t+QDHlBwmEym";
const key = Buffer.from(ED25519, "base64");

function keyBlob(type: string): Buffer {
  const name = Buffer.from(type);
  const length = (n: number): Buffer => Buffer.from([0, 0, 0, n]);
  return Buffer.concat([length(name.length), name, length(32), randomBytes(32)]);
}

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mrsk-known-hosts-"));
  file = join(dir, "ssh", "known_hosts");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function verify(knownHosts: KnownHosts, presented: Buffer, port = 22): Promise<unknown> {
  const check = await knownHosts.prepare("web1", "web1.example.com", port);
  return check.verify(presented).then(
    () => "trusted",
    (error: unknown) => error,
  );
}

describe("accept-new", () => {
  it("records an unknown host in the first file, creating it", async () => {
    const knownHosts = new KnownHosts({ knownHostsFiles: [file, join(dir, "other")], hostKeyPolicy: "accept-new" });
    expect(await verify(knownHosts, key, 2222)).toBe("trusted");
    expect(await readFile(file, "utf8")).toBe(`[web1.example.com]:2222 ssh-ed25519 ${ED25519}\n`);
  });

  it("appends on a line of its own, once per host", async () => {
    const existing = join(dir, "known_hosts");
    await writeFile(existing, `db ssh-ed25519 ${ED25519}`);
    const knownHosts = new KnownHosts({ knownHostsFiles: [existing], hostKeyPolicy: "accept-new" });
    await Promise.all([verify(knownHosts, key), verify(knownHosts, key)]);
    expect(await readFile(existing, "utf8")).toBe(`db ssh-ed25519 ${ED25519}\nweb1.example.com ssh-ed25519 ${ED25519}\n`);
  });

  it("still refuses a changed key", async () => {
    await writeFile(join(dir, "kh"), `# header\nweb1.example.com ssh-ed25519 ${keyBlob("ssh-ed25519").toString("base64")}\n`);
    const knownHosts = new KnownHosts({ knownHostsFiles: [join(dir, "kh")], hostKeyPolicy: "accept-new" });
    const error = (await verify(knownHosts, key)) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.host).toBe("web1");
    expect(error.message).toContain("HOST KEY MISMATCH for web1.example.com");
    expect(error.message).toContain(`${join(dir, "kh")}:2 holds ssh-ed25519 SHA256:`);
    expect(error.message).toContain(`presented ssh-ed25519 ${fingerprint(key)}`);
    expect(error.hint).toContain(`ssh-keygen -R web1.example.com -f ${join(dir, "kh")}`);
  });
});

describe("strict", () => {
  it("refuses an unknown host with a hint to record its key", async () => {
    const knownHosts = new KnownHosts({ knownHostsFiles: [file], hostKeyPolicy: "strict" });
    const error = (await verify(knownHosts, key, 2222)) as ConnectionError;
    expect(error.message).toBe(`Could not connect to web1: the host key of [web1.example.com]:2222 is not known (ssh-ed25519 ${fingerprint(key)})`);
    expect(error.hint).toContain(`ssh-keyscan -p 2222 web1.example.com >> ${file}`);
  });

  it("trusts a key found in any of the files", async () => {
    await writeFile(join(dir, "second"), `web1.example.com ssh-ed25519 ${ED25519}\n`);
    const knownHosts = new KnownHosts({ knownHostsFiles: [file, join(dir, "second")], hostKeyPolicy: "strict" });
    expect(await verify(knownHosts, key)).toBe("trusted");
  });

  it("refuses a revoked key", async () => {
    await writeFile(join(dir, "kh"), `web1.example.com ssh-ed25519 ${ED25519}\n@revoked * ssh-ed25519 ${ED25519}\n`);
    const knownHosts = new KnownHosts({ knownHostsFiles: [join(dir, "kh")], hostKeyPolicy: "strict" });
    expect(((await verify(knownHosts, key)) as Error).message).toContain(`marked @revoked in ${join(dir, "kh")}:2`);
  });
});

describe("off", () => {
  it("trusts any key and records nothing", async () => {
    const knownHosts = new KnownHosts({ knownHostsFiles: [file], hostKeyPolicy: "off" });
    expect(await verify(knownHosts, key)).toBe("trusted");
    await expect(readFile(file)).rejects.toThrow();
  });
});

describe("preferred algorithms", () => {
  it("asks first for the key types on record, RSA under all its names", async () => {
    await writeFile(join(dir, "kh"), `web1.example.com ssh-rsa ${keyBlob("ssh-rsa").toString("base64")}\nweb1.example.com ecdsa-sha2-nistp256 ${keyBlob("ecdsa-sha2-nistp256").toString("base64")}\n`);
    const knownHosts = new KnownHosts({ knownHostsFiles: [join(dir, "kh")], hostKeyPolicy: "strict" });
    const check = await knownHosts.prepare("web1", "web1.example.com", 22);
    expect(check.preferredAlgorithms).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ecdsa-sha2-nistp256"]);
  });

  it("leaves the defaults alone for an unknown host", async () => {
    const knownHosts = new KnownHosts({ knownHostsFiles: [file], hostKeyPolicy: "accept-new" });
    expect((await knownHosts.prepare("web1", "web1.example.com", 22)).preferredAlgorithms).toEqual([]);
  });
});
