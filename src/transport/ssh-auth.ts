// Which credentials to offer, in which order (agent, then key files, then key data), and a hint
// that says what was tried when none was accepted.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { AnyAuthMethod, ParsedKey } from "ssh2";
import type { SshSettings } from "./types.js";

export type Identity =
  | { readonly kind: "agent"; readonly label: string; readonly socket: string }
  | { readonly kind: "key"; readonly label: string; readonly key: Buffer };

export interface Identities {
  readonly usable: readonly Identity[];
  /** Configured keys that could not be used, with the reason. */
  readonly skipped: readonly string[];
}

const DEFAULT_KEY_FILES = ["id_ed25519", "id_ecdsa", "id_rsa"];

type KeySettings = Pick<SshSettings, "keys" | "keyData" | "keysOnly" | "agent">;

export async function loadIdentities(settings: KeySettings): Promise<Identities> {
  const { utils } = (await import("ssh2")).default;
  const usable: Identity[] = [];
  const skipped: string[] = [];
  const consider = (label: string, key: Buffer): void => {
    const problem = keyProblem(utils.parseKey(key));
    if (problem) skipped.push(`${label} (${problem})`);
    else usable.push({ kind: "key", label, key });
  };

  if (!settings.keysOnly && settings.agent) usable.push({ kind: "agent", label: `agent ${settings.agent}`, socket: settings.agent });
  for (const file of keyFiles(settings)) {
    const key = await readKeyFile(file.path);
    if (key) consider(file.path, key);
    else if (file.configured) skipped.push(`${file.path} (not readable)`);
  }
  for (const [index, data] of settings.keyData.entries()) consider(`key data #${index + 1}`, Buffer.from(data));
  return { usable, skipped };
}

function keyFiles(settings: KeySettings): { path: string; configured: boolean }[] {
  if (settings.keys.length > 0) return settings.keys.map((path) => ({ path: expandHome(path), configured: true }));
  if (settings.keysOnly) return [];
  return DEFAULT_KEY_FILES.map((name) => ({ path: join(homedir(), ".ssh", name), configured: false }));
}

function expandHome(path: string): string {
  return path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

async function readKeyFile(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

function keyProblem(parsed: ParsedKey | Error): string | undefined {
  if (parsed instanceof Error) {
    return /passphrase/i.test(parsed.message) ? "encrypted: add it to ssh-agent instead" : parsed.message;
  }
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
    const identity = this.identities.usable[this.tried.length];
    if (!identity) return next(false);
    this.tried.push(identity.label);
    next(this.method(identity));
  };

  noteAgentProblem(message: string): void {
    this.agentProblems.push(message);
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
        : `No key was available for user ${this.user} (no ssh.keys, no readable ~/.ssh/id_* file, no agent).`,
    );
    if (this.agentProblems.length > 0) parts.push(`Agent: ${this.agentProblems.join("; ")}.`);
    if (this.identities.skipped.length > 0) parts.push(`Skipped: ${this.identities.skipped.join(", ")}.`);
    parts.push(`Check that one of these keys is in ~${this.user}/.ssh/authorized_keys on ${host}.`);
    return parts.join(" ");
  }

  private method(identity: Identity): AnyAuthMethod {
    return identity.kind === "agent"
      ? { type: "agent", username: this.user, agent: identity.socket }
      : { type: "publickey", username: this.user, key: identity.key };
  }
}
