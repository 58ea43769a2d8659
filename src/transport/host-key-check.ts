// Host key checking against OpenSSH known_hosts files, with the `strict` / `accept-new` / `off`
// policies. A changed key always fails, whatever the policy.
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { ServerHostKeyAlgorithm } from "ssh2";
import { quote } from "../commands/shell.js";
import { ConnectionError } from "../errors.js";
import type { HostKeyPolicy } from "./types.js";
import {
  checkHostKey,
  fingerprint,
  keyTypeOf,
  knownHostName,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
  type KnownHostEntry,
} from "./known-hosts.js";

/** The check for one connection attempt, prepared before the handshake. */
export interface HostKeyCheck {
  /** Host key algorithms to offer first, so that the server shows the key type on record. */
  readonly preferredAlgorithms: readonly ServerHostKeyAlgorithm[];
  /** Resolves when `key` may be trusted; rejects with a ConnectionError otherwise. */
  verify(key: Buffer): Promise<void>;
}

// Server host key algorithms per key type; an RSA key is negotiated under any of three names.
const ALGORITHMS_BY_KEY_TYPE: Readonly<Record<string, readonly ServerHostKeyAlgorithm[]>> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

interface Target {
  /** The host as the user wrote it, for messages. */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  /** The name in known_hosts: `host` or `[host]:port`. */
  readonly name: string;
}

export class KnownHosts {
  private readonly files: readonly string[];
  private readonly policy: HostKeyPolicy;
  // Appends are serialised so that lines from parallel connections never interleave.
  private appending: Promise<unknown> = Promise.resolve();

  constructor(settings: { readonly knownHostsFiles: readonly string[]; readonly hostKeyPolicy: HostKeyPolicy }) {
    this.files = settings.knownHostsFiles;
    this.policy = settings.hostKeyPolicy;
  }

  /** `label` names the host in errors; `host`/`port` are what the key is recorded under. */
  async prepare(label: string, host: string, port: number): Promise<HostKeyCheck> {
    if (this.policy === "off") return { preferredAlgorithms: [], verify: async () => {} };
    const target: Target = { label, host, port, name: knownHostName(host, port) };
    const entries = await this.load().catch((error: Error) => {
      throw new ConnectionError(label, `cannot read the known_hosts files: ${error.message}`, { cause: error });
    });
    const preferredAlgorithms = knownKeyTypes(entries, target.name).flatMap((type) => ALGORITHMS_BY_KEY_TYPE[type] ?? []);
    return { preferredAlgorithms, verify: (key) => this.verify(target, entries, key) };
  }

  private async verify(target: Target, entries: KnownHostEntry[], key: Buffer): Promise<void> {
    const { label, name } = target;
    const verdict = checkHostKey(entries, name, key);
    switch (verdict.status) {
      case "known":
        return;
      case "changed":
        throw changedKeyError(label, name, key, verdict.stored);
      case "revoked":
        throw new ConnectionError(
          label,
          `the host key ${describeKey(key)} is marked @revoked in ${where(verdict.entry)}`,
          { hint: "The server must be given a new host key; do not connect until it is." },
        );
      case "unknown":
        if (this.policy === "strict") throw unknownHostError(target, key, this.files[0] ?? "~/.ssh/known_hosts");
        await this.record(name, key);
    }
  }

  private async load(): Promise<KnownHostEntry[]> {
    const parsed = await Promise.all(
      this.files.map(async (file) => parseKnownHosts(await readIfExists(file), file)),
    );
    return parsed.flat();
  }

  private record(name: string, key: Buffer): Promise<void> {
    const file = this.files[0];
    if (file === undefined) return Promise.resolve();
    const done = this.appending.then(() => appendUnlessKnown(file, name, key));
    this.appending = done.catch(() => {});
    return done;
  }
}

async function appendUnlessKnown(file: string, name: string, key: Buffer): Promise<void> {
  const text = await readIfExists(file);
  // Another connection to the same host (a jump host that is also a target) may have just recorded it.
  if (checkHostKey(parseKnownHosts(text, file), name, key).status === "known") return;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  await appendFile(file, `${separator}${knownHostsLine(name, key)}\n`, { mode: 0o600 });
}

async function readIfExists(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
}

function changedKeyError(label: string, name: string, key: Buffer, stored: readonly KnownHostEntry[]): ConnectionError {
  const onRecord = stored.map((e) => `${where(e)} holds ${describeKey(e.key)}`).join("; ");
  const files = [...new Set(stored.map((e) => e.file))];
  const removals = files.map((file) => `\`ssh-keygen -R ${quote(name)}${fileOption(file)}\``).join(" and ");
  return new ConnectionError(
    label,
    `HOST KEY MISMATCH for ${name}: the server presented ${describeKey(key)}, but ${onRecord}`,
    {
      hint:
        `Someone may be intercepting the connection. If the host's key changed on purpose ` +
        `(reinstalled server), remove the old key with ${removals} and connect again.`,
    },
  );
}

function unknownHostError({ label, host, port, name }: Target, key: Buffer, file: string): ConnectionError {
  return new ConnectionError(label, `the host key of ${name} is not known (${describeKey(key)})`, {
    hint:
      `Strict host key checking refuses unknown hosts. Check the fingerprint with the server's ` +
      `administrator, then record it with \`ssh-keyscan -p ${port} ${quote(host)} >> ${file}\`.`,
  });
}

function describeKey(key: Buffer): string {
  return `${keyTypeOf(key)} ${fingerprint(key)}`;
}

function where(entry: KnownHostEntry): string {
  return `${entry.file}:${entry.line}`;
}

function fileOption(file: string): string {
  return file === join(homedir(), ".ssh", "known_hosts") ? "" : ` -f ${quote(file)}`;
}
