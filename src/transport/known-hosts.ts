// OpenSSH known_hosts files: parsing, host matching and key fingerprints. Pure; the policy that
// reads and appends the files lives in host-key-check.ts.
import { createHash, createHmac } from "node:crypto";
import { matches } from "../glob.js";

export interface KnownHostEntry {
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  readonly marker: "revoked" | "cert-authority" | undefined;
  /** The comma-separated host patterns, or one hashed `|1|salt|hash` name. */
  readonly hosts: string;
  readonly keyType: string;
  readonly key: Buffer;
}

export type HostKeyVerdict =
  | { readonly status: "known"; readonly entry: KnownHostEntry }
  /** The host is known, but by other keys: the key changed, or someone is in the middle. */
  | { readonly status: "changed"; readonly stored: readonly KnownHostEntry[] }
  | { readonly status: "revoked"; readonly entry: KnownHostEntry }
  | { readonly status: "unknown" };

const DEFAULT_SSH_PORT = 22;
const HASHED_NAME = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/;

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const entry = parseLine(raw.trim(), file, index + 1);
    if (entry) entries.push(entry);
  }
  return entries;
}

function parseLine(text: string, file: string, line: number): KnownHostEntry | undefined {
  if (text === "" || text.startsWith("#")) return undefined;
  const fields = text.split(/\s+/);
  let marker: KnownHostEntry["marker"];
  if (fields[0] === "@revoked" || fields[0] === "@cert-authority") {
    marker = fields[0] === "@revoked" ? "revoked" : "cert-authority";
    fields.shift();
  }
  const [hosts, keyType, keyBase64] = fields;
  if (hosts === undefined || keyType === undefined || keyBase64 === undefined) return undefined;
  // OpenSSH skips lines it cannot read rather than failing the whole file.
  if (hosts.startsWith("@") || !/^[A-Za-z0-9+/]+=*$/.test(keyBase64)) return undefined;
  return { file, line, marker, hosts, keyType, key: Buffer.from(keyBase64, "base64") };
}

/** The name OpenSSH records a host under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === DEFAULT_SSH_PORT ? name : `[${name}]:${port}`;
}

export function entryMatchesName(entry: KnownHostEntry, name: string): boolean {
  const hashed = HASHED_NAME.exec(entry.hosts);
  if (hashed) return hashName(name, Buffer.from(hashed[1]!, "base64")) === hashed[2];
  let matched = false;
  for (const pattern of entry.hosts.toLowerCase().split(",")) {
    if (pattern.startsWith("!")) {
      if (matches(pattern.slice(1), name)) return false;
    } else if (matches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

function hashName(name: string, salt: Buffer): string {
  return createHmac("sha1", salt).update(name).digest("base64");
}

/** Decides whether `key`, presented by the host known as `name`, is the one on record. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== "cert-authority" && entryMatchesName(e, name));
  const revoked = forHost.find((e) => e.marker === "revoked" && e.key.equals(key));
  if (revoked) return { status: "revoked", entry: revoked };
  const stored = forHost.filter((e) => e.marker === undefined);
  const known = stored.find((e) => e.key.equals(key));
  if (known) return { status: "known", entry: known };
  return stored.length > 0 ? { status: "changed", stored } : { status: "unknown" };
}

/** Key types on record for `name`, in file order; the connection prefers these, as OpenSSH does. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = entries
    .filter((e) => e.marker === undefined && entryMatchesName(e, name))
    .map((e) => keyTypeOf(e.key));
  return [...new Set(types)];
}

/** The algorithm name inside an SSH public key blob, e.g. `ssh-ed25519`. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return "unknown";
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString("latin1");
}

/** The fingerprint OpenSSH shows: `SHA256:` and unpadded base64. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

export function knownHostsLine(name: string, key: Buffer): string {
  return `${name} ${keyTypeOf(key)} ${key.toString("base64")}`;
}
