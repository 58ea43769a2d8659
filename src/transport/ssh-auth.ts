// Which credentials to offer, in which order (agent, then key files, then key data), passphrases
// of encrypted keys (asked once per key, only when the key is about to be offered), and a hint
// that says what was tried when none was accepted.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import type { AnyAuthMethod, BaseAgent, ParsedKey } from "ssh2";

export type Identity =
  /** `agent`: an agent that offers only some of its keys (keys-only); otherwise all of the socket's. */
  | { readonly kind: "agent"; readonly label: string; readonly socket: string; readonly agent?: BaseAgent }
  | { readonly kind: "key"; readonly label: string; readonly key: Buffer | ParsedKey }
  /** A key file that needs its passphrase; `unlock` rejects with the reason it cannot be used. */
  | { readonly kind: "encrypted-key"; readonly label: string; readonly unlock: () => Promise<ParsedKey> };

export interface Identities {
  readonly usable: readonly Identity[];
  /** Configured keys that could not be used, with the reason. */
  readonly skipped: readonly string[];
}

/** Asks for the passphrase of `keyFile` without echo; undefined when there is no terminal to ask on. */
export type PassphrasePrompt = (keyFile: string) => Promise<string | undefined>;

/** Which keys one connection offers (see ResolvedHost). */
export interface KeyChoice {
  readonly keys: readonly string[];
  /** Offer the usual ~/.ssh/id_* files (no key configured anywhere). */
  readonly defaultKeys: boolean;
  /** No agent: only the configured keys and key data. */
  readonly keysOnly: boolean;
  readonly keyData: readonly string[];
  readonly agent: string | undefined;
}

const DEFAULT_KEY_FILES = ["id_ed25519", "id_ecdsa", "id_rsa"];
// As OpenSSH: three tries at a passphrase, then the key is skipped.
const PASSPHRASE_TRIES = 3;

type KeyFile =
  | { readonly state: "plain"; readonly key: Buffer }
  | { readonly state: "encrypted"; readonly data: Buffer }
  | { readonly state: "unusable"; readonly reason: string };

/** Key files read once per invocation, and each passphrase asked once, whatever the number of hosts. */
export class KeyRing {
  private readonly files = new Map<string, Promise<KeyFile | undefined>>();
  private readonly unlocked = new Map<string, Promise<ParsedKey>>();
  // One question on the terminal at a time.
  private readonly asking = pLimit(1);

  constructor(private readonly prompt: PassphrasePrompt) {}

  async identities(choice: KeyChoice): Promise<Identities> {
    const usable: Identity[] = [];
    const skipped: string[] = [];
    if (choice.agent && !choice.keysOnly) usable.push({ kind: "agent", label: `agent ${choice.agent}`, socket: choice.agent });
    if (choice.agent && choice.keysOnly && choice.keys.length > 0) {
      // As net-ssh's keys_only and OpenSSH's IdentitiesOnly: the agent may sign with the configured keys only,
      // which spares the passphrase of an encrypted key the agent already holds.
      const publicKeys = await this.publicKeysOf(choice.keys);
      if (publicKeys.length > 0) {
        usable.push({ kind: "agent", label: `agent ${choice.agent} (configured keys only)`, socket: choice.agent, agent: await agentOffering(choice.agent, publicKeys) });
      }
    }
    for (const file of keyFiles(choice)) {
      const loaded = await this.read(file.path);
      if (loaded === undefined) {
        if (file.configured) skipped.push(`${file.path} (not readable)`);
      } else if (loaded.state === "plain") {
        usable.push({ kind: "key", label: file.path, key: loaded.key });
      } else if (loaded.state === "encrypted") {
        usable.push({ kind: "encrypted-key", label: file.path, unlock: () => this.unlock(file.path, loaded.data) });
      } else {
        skipped.push(`${file.path} (${loaded.reason})`);
      }
    }
    const { utils } = (await import("ssh2")).default;
    for (const [index, data] of choice.keyData.entries()) {
      const label = `key data #${index + 1}`;
      const problem = keyProblem(utils.parseKey(Buffer.from(data)));
      if (problem) skipped.push(`${label} (${problem === ENCRYPTED ? "encrypted: key data must be unencrypted" : problem})`);
      else usable.push({ kind: "key", label, key: Buffer.from(data) });
    }
    return { usable, skipped };
  }

  /** The public halves of `paths`: from the key itself, or from its `.pub` file when it is encrypted. */
  private async publicKeysOf(paths: readonly string[]): Promise<Buffer[]> {
    const { utils } = (await import("ssh2")).default;
    const blobs: Buffer[] = [];
    for (const path of paths) {
      const loaded = await this.read(path);
      const source = loaded?.state === "plain" ? loaded.key : loaded?.state === "encrypted" ? await readFile(`${path}.pub`).catch(() => undefined) : undefined;
      const parsed = source === undefined ? undefined : utils.parseKey(source);
      if (parsed !== undefined && !(parsed instanceof Error)) blobs.push(parsed.getPublicSSH());
    }
    return blobs;
  }

  private read(path: string): Promise<KeyFile | undefined> {
    let loaded = this.files.get(path);
    if (!loaded) {
      loaded = readKeyFile(path);
      this.files.set(path, loaded);
    }
    return loaded;
  }

  private unlock(path: string, data: Buffer): Promise<ParsedKey> {
    let key = this.unlocked.get(path);
    if (!key) {
      key = this.asking(() => this.askPassphrase(path, data));
      this.unlocked.set(path, key);
    }
    return key;
  }

  private async askPassphrase(path: string, data: Buffer): Promise<ParsedKey> {
    const { utils } = (await import("ssh2")).default;
    for (let attempt = 1; attempt <= PASSPHRASE_TRIES; attempt++) {
      const passphrase = await this.prompt(path);
      if (passphrase === undefined) {
        throw new Error(`encrypted, and there is no terminal to ask for its passphrase: load it into ssh-agent with \`ssh-add ${path}\``);
      }
      if (passphrase === "") throw new Error("encrypted, and no passphrase was given");
      const parsed = utils.parseKey(data, passphrase);
      if (!(parsed instanceof Error)) return parsed;
    }
    throw new Error(`encrypted, and the passphrase was wrong ${PASSPHRASE_TRIES} times`);
  }
}

/** The agent at `socket`, listing only the keys among `publicKeys`. */
async function agentOffering(socket: string, publicKeys: readonly Buffer[]): Promise<BaseAgent> {
  const { OpenSSHAgent } = (await import("ssh2")).default;
  const agent = new OpenSSHAgent(socket);
  const listAll = agent.getIdentities.bind(agent);
  agent.getIdentities = (cb) =>
    listAll((error, keys) => {
      if (error || !keys) return cb(error ?? new Error("the agent listed no keys"));
      cb(undefined, keys.filter((key) => "getPublicSSH" in key && publicKeys.some((blob) => blob.equals(key.getPublicSSH()))));
    });
  return agent;
}

function keyFiles(choice: KeyChoice): { path: string; configured: boolean }[] {
  if (choice.keys.length > 0) return choice.keys.map((path) => ({ path, configured: true }));
  if (!choice.defaultKeys) return [];
  return DEFAULT_KEY_FILES.map((name) => ({ path: join(homedir(), ".ssh", name), configured: false }));
}

async function readKeyFile(path: string): Promise<KeyFile | undefined> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch {
    return undefined;
  }
  const { utils } = (await import("ssh2")).default;
  const problem = keyProblem(utils.parseKey(data));
  if (problem === undefined) return { state: "plain", key: data };
  if (problem === ENCRYPTED) return { state: "encrypted", data };
  return { state: "unusable", reason: problem };
}

const ENCRYPTED = "encrypted";

function keyProblem(parsed: ParsedKey | Error): string | undefined {
  if (parsed instanceof Error) return /passphrase/i.test(parsed.message) ? ENCRYPTED : parsed.message;
  return parsed.isPrivateKey() ? undefined : "not a private key";
}

/** ssh2 calls this for each attempt; `false` means there is nothing left to try. */
export type AuthHandler = (
  methodsLeft: string[] | null,
  partialSuccess: boolean | null,
  next: (method: AnyAuthMethod | false) => void,
) => void;

/** One authentication attempt: offers each identity in turn and remembers what happened. */
export class Authentication {
  private readonly tried: string[] = [];
  private readonly agentProblems: string[] = [];
  private readonly lockedKeys: string[] = [];
  private position = 0;
  private serverMethods: string[] | undefined;

  constructor(
    private readonly user: string,
    private readonly identities: Identities,
  ) {}

  readonly handler: AuthHandler = (methodsLeft, _partialSuccess, next) => {
    // The first call has no list yet; later ones carry what the server still accepts.
    if (methodsLeft && !methodsLeft.includes("publickey")) {
      this.serverMethods = methodsLeft;
      return next(false);
    }
    this.offerNext(next);
  };

  noteAgentProblem(message: string): void {
    this.agentProblems.push(message);
  }

  /** Encrypted keys that could not be unlocked, with the reason, to lead the error with. */
  get keysNotUnlocked(): readonly string[] {
    return this.lockedKeys;
  }

  /** What to tell the user when the server accepted none of the identities. */
  failureHint(host: string): string {
    const parts: string[] = [];
    if (this.serverMethods) {
      parts.push(`The server accepts only ${this.serverMethods.join(", ")}; mrsk signs in with keys.`);
    }
    parts.push(
      this.tried.length > 0
        ? `Tried user ${this.user} with: ${this.tried.join(", ")}.`
        : `No key was available for user ${this.user} (no ssh.keys, no IdentityFile, no readable ~/.ssh/id_* file, no agent).`,
    );
    if (this.agentProblems.length > 0) parts.push(`Agent: ${this.agentProblems.join("; ")}.`);
    const skipped = [...this.identities.skipped, ...this.lockedKeys];
    if (skipped.length > 0) parts.push(`Skipped: ${skipped.join(", ")}.`);
    parts.push(`Check that one of these keys is in ~${this.user}/.ssh/authorized_keys on ${host}.`);
    return parts.join(" ");
  }

  private offerNext(next: (method: AnyAuthMethod | false) => void): void {
    const identity = this.identities.usable[this.position++];
    if (!identity) return next(false);
    if (identity.kind !== "encrypted-key") {
      this.tried.push(identity.label);
      return next(this.method(identity));
    }
    identity.unlock().then(
      (key) => {
        this.tried.push(identity.label);
        next({ type: "publickey", username: this.user, key });
      },
      (error: Error) => {
        this.lockedKeys.push(`${identity.label} (${error.message})`);
        this.offerNext(next);
      },
    );
  }

  private method(identity: Exclude<Identity, { kind: "encrypted-key" }>): AnyAuthMethod {
    return identity.kind === "agent"
      ? { type: "agent", username: this.user, agent: identity.agent ?? identity.socket }
      : { type: "publickey", username: this.user, key: identity.key };
  }
}
