import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Authentication, KeyRing, type Identities } from "../../src/transport/ssh-auth.js";

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
  await writeFile(encrypted, ssh2.utils.generateKeyPairSync("ed25519", { passphrase: "pw", cipher: "aes256-cbc", rounds: 1 }).private);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const none = { keys: [], defaultKeys: false, keysOnly: false, keyData: [], agent: undefined };
const noTerminal = async (): Promise<undefined> => undefined;

describe("KeyRing", () => {
  it("offers the agent first, then key files, then key data", async () => {
    const keyData = ssh2.utils.generateKeyPairSync("ed25519").private;
    const identities = await new KeyRing(noTerminal).identities({ ...none, keys: [plain], keyData: [keyData], agent: "/run/agent.sock" });
    expect(identities.usable.map((i) => i.label)).toEqual(["agent /run/agent.sock", plain, "key data #1"]);
    expect(identities.skipped).toEqual([]);
  });

  it("skips keys it cannot use and says why; an encrypted key waits to be unlocked", async () => {
    const identities = await new KeyRing(noTerminal).identities({ ...none, keys: [encrypted, publicOnly, join(dir, "missing")] });
    expect(identities.usable.map((i) => [i.kind, i.label])).toEqual([["encrypted-key", encrypted]]);
    expect(identities.skipped).toEqual([`${publicOnly} (not a private key)`, `${join(dir, "missing")} (not readable)`]);
  });

  it("falls back to the usual ~/.ssh/id_* files that exist", async () => {
    const home = join(dir, "home");
    await mkdir(join(home, ".ssh"), { recursive: true });
    await copyFile(plain, join(home, ".ssh", "id_rsa"));
    await copyFile(plain, join(home, ".ssh", "id_ed25519"));
    const previousHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const identities = await new KeyRing(noTerminal).identities({ ...none, defaultKeys: true });
      expect(identities.usable.map((i) => i.label)).toEqual([join(home, ".ssh", "id_ed25519"), join(home, ".ssh", "id_rsa")]);
      expect(identities.skipped).toEqual([]);
    } finally {
      process.env.HOME = previousHome;
    }
  });

  it("uses neither the agent nor the default key files with keysOnly", async () => {
    const identities = await new KeyRing(noTerminal).identities({ ...none, keysOnly: true, agent: "/run/agent.sock" });
    expect(identities).toEqual({ usable: [], skipped: [] });
  });
});

describe("passphrases of encrypted keys", () => {
  async function unlock(ring: KeyRing): Promise<ssh2.ParsedKey> {
    const [identity] = (await ring.identities({ ...none, keys: [encrypted] })).usable;
    if (identity?.kind !== "encrypted-key") throw new Error("expected an encrypted key");
    return identity.unlock();
  }

  it("asks once per key, however many connections offer it", async () => {
    const asked: string[] = [];
    const ring = new KeyRing(async (file) => {
      asked.push(file);
      return "pw";
    });
    const keys = await Promise.all([unlock(ring), unlock(ring), unlock(ring)]);
    expect(asked).toEqual([encrypted]);
    expect(keys.every((key) => key.isPrivateKey())).toBe(true);
  });

  it("asks again after a wrong passphrase, at most three times", async () => {
    const answers = ["wrong", "pw"];
    const right = new KeyRing(async () => answers.shift());
    expect((await unlock(right)).isPrivateKey()).toBe(true);
    expect(answers).toEqual([]);

    let asked = 0;
    const wrong = new KeyRing(async () => {
      asked++;
      return "wrong";
    });
    await expect(unlock(wrong)).rejects.toThrow("encrypted, and the passphrase was wrong 3 times");
    expect(asked).toBe(3);
  });

  it("without a terminal, fails at once naming the key and suggesting ssh-agent", async () => {
    await expect(unlock(new KeyRing(noTerminal))).rejects.toThrow(
      `encrypted, and there is no terminal to ask for its passphrase: load it into ssh-agent with \`ssh-add ${encrypted}\``,
    );
  });

  it("the authentication skips a key it cannot unlock, offers the next, and leads its error with the key", async () => {
    const ring = new KeyRing(noTerminal);
    const identities = await ring.identities({ ...none, keys: [encrypted, plain] });
    const auth = new Authentication("deploy", identities);
    const offered = await new Promise<unknown>((resolve) => auth.handler(null, null, resolve));
    expect(offered).toMatchObject({ type: "publickey", username: "deploy" });
    expect(auth.keysNotUnlocked).toEqual([
      `${encrypted} (encrypted, and there is no terminal to ask for its passphrase: load it into ssh-agent with \`ssh-add ${encrypted}\`)`,
    ]);
    expect(await new Promise<unknown>((resolve) => auth.handler(["publickey"], null, resolve))).toBe(false);
    expect(auth.failureHint("web1")).toContain(`Tried user deploy with: ${plain}. Skipped: ${encrypted} (encrypted, and there is no terminal`);
  });

  it("offers the unlocked key with the passphrase asked on the terminal", async () => {
    const identities = await new KeyRing(async () => "pw").identities({ ...none, keys: [encrypted] });
    const auth = new Authentication("deploy", identities);
    const offered = (await new Promise((resolve) => auth.handler(null, null, resolve))) as { key: ssh2.ParsedKey };
    expect(offered.key.isPrivateKey()).toBe(true);
    expect(auth.keysNotUnlocked).toEqual([]);
  });
});

describe("Authentication", () => {
  const identities: Identities = {
    usable: [
      { kind: "agent", label: "agent /a.sock", socket: "/a.sock" },
      { kind: "key", label: "/keys/deploy", key: Buffer.from("k") },
    ],
    skipped: ["/keys/old (not readable)"],
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
        "Skipped: /keys/old (not readable). Check that one of these keys is in ~deploy/.ssh/authorized_keys on web1.",
    );
  });

  it("says when there was nothing to offer", () => {
    const auth = new Authentication("root", { usable: [], skipped: [] });
    attempts(auth, [null]);
    expect(auth.failureHint("web1")).toContain("No key was available for user root");
  });
});
