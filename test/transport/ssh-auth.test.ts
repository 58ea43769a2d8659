import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Authentication, loadIdentities, type Identities } from "../../src/transport/ssh-auth.js";

let dir: string;
let plain: string;
let encrypted: string;
let publicOnly: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mrsk-auth-"));
  const pair = ssh2.utils.generateKeyPairSync("ed25519");
  plain = join(dir, "id_plain");
  encrypted = join(dir, "id_encrypted");
  publicOnly = join(dir, "id_plain.pub");
  await writeFile(plain, pair.private);
  await writeFile(publicOnly, pair.public);
  await writeFile(encrypted, ssh2.utils.generateKeyPairSync("ed25519", { passphrase: "pw", cipher: "aes256-cbc", rounds: 16 }).private);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const none = { keys: [], keyData: [], keysOnly: false, agent: undefined };

describe("loadIdentities", () => {
  it("offers the agent first, then key files, then key data", async () => {
    const keyData = ssh2.utils.generateKeyPairSync("ed25519").private;
    const identities = await loadIdentities({ ...none, keys: [plain], keyData: [keyData], agent: "/run/agent.sock" });
    expect(identities.usable.map((i) => i.label)).toEqual(["agent /run/agent.sock", plain, "key data #1"]);
    expect(identities.skipped).toEqual([]);
  });

  it("skips keys it cannot use and says why", async () => {
    const identities = await loadIdentities({ ...none, keys: [encrypted, publicOnly, join(dir, "missing")] });
    expect(identities.usable).toEqual([]);
    expect(identities.skipped).toEqual([
      `${encrypted} (encrypted: add it to ssh-agent instead)`,
      `${publicOnly} (not a private key)`,
      `${join(dir, "missing")} (not readable)`,
    ]);
  });

  it("falls back to the usual ~/.ssh/id_* files that exist", async () => {
    const home = join(dir, "home");
    await mkdir(join(home, ".ssh"), { recursive: true });
    await copyFile(plain, join(home, ".ssh", "id_rsa"));
    await copyFile(plain, join(home, ".ssh", "id_ed25519"));
    const previousHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const identities = await loadIdentities(none);
      expect(identities.usable.map((i) => i.label)).toEqual([join(home, ".ssh", "id_ed25519"), join(home, ".ssh", "id_rsa")]);
      expect(identities.skipped).toEqual([]);
    } finally {
      process.env.HOME = previousHome;
    }
  });

  it("uses neither the agent nor the default key files with keysOnly", async () => {
    const identities = await loadIdentities({ ...none, keysOnly: true, agent: "/run/agent.sock" });
    expect(identities).toEqual({ usable: [], skipped: [] });
  });
});

describe("Authentication", () => {
  const identities: Identities = {
    usable: [
      { kind: "agent", label: "agent /a.sock", socket: "/a.sock" },
      { kind: "key", label: "/keys/deploy", key: Buffer.from("k") },
    ],
    skipped: ["/keys/old (encrypted: add it to ssh-agent instead)"],
  };

  function attempts(auth: Authentication, methodsLeft: (string[] | null)[]): unknown[] {
    const offered: unknown[] = [];
    for (const left of methodsLeft) auth.handler(left, null, (method) => offered.push(method === false ? false : method.type));
    return offered;
  }

  it("offers each identity in turn, then gives up", () => {
    const auth = new Authentication("deploy", identities);
    expect(attempts(auth, [null, ["publickey"], ["publickey"]])).toEqual(["agent", "publickey", false]);
  });

  it("gives up at once when the server takes no keys, and says so", () => {
    const auth = new Authentication("deploy", identities);
    expect(attempts(auth, [null, ["password", "keyboard-interactive"]])).toEqual(["agent", false]);
    expect(auth.failureHint("web1")).toContain("The server accepts only password, keyboard-interactive");
  });

  it("explains what was tried, what was skipped and where the key must be", () => {
    const auth = new Authentication("deploy", identities);
    attempts(auth, [null, ["publickey"], ["publickey"]]);
    auth.noteAgentProblem("connect ENOENT /a.sock");
    expect(auth.failureHint("web1")).toBe(
      "Tried user deploy with: agent /a.sock, /keys/deploy. Agent: connect ENOENT /a.sock. " +
        "Skipped: /keys/old (encrypted: add it to ssh-agent instead). Check that one of these keys is in ~deploy/.ssh/authorized_keys on web1.",
    );
  });

  it("says when there was nothing to offer", () => {
    const auth = new Authentication("root", { usable: [], skipped: [] });
    attempts(auth, [null]);
    expect(auth.failureHint("web1")).toContain("No key was available for user root");
  });
});
