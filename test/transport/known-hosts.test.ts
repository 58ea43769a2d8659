import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  checkHostKey,
  entryMatchesName,
  fingerprint,
  keyTypeOf,
  knownHostName,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
  type KnownHostEntry,
} from "../../src/transport/known-hosts.js";

// A real host key, its fingerprint as `ssh-keygen -lf` printed it, and the entry `ssh-keygen -H`
// made for it under the name [127.0.0.1]:42022.
const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIJTRXBXVC5wSthOj5YWvxGsrnhvD9b4/t+QDHlBwmEym";
const ED25519_FINGERPRINT = "SHA256:SkhpgwPAnxdJ504CmFPjO2XzA0VxoD+QgWEpHQggIXE";
const HASHED_LINE = `|1|31K27YnvdUQNsgN1pvHqa7GtGng=|7hB/UOH10BJmglSSx+XUIibddrQ= ssh-ed25519 ${ED25519}`;
const key = Buffer.from(ED25519, "base64");

function otherEd25519Key(): Buffer {
  const type = Buffer.from("ssh-ed25519");
  const length = (n: number): Buffer => Buffer.from([0, 0, 0, n]);
  return Buffer.concat([length(type.length), type, length(32), randomBytes(32)]);
}

function entry(line: string): KnownHostEntry {
  const [parsed] = parseKnownHosts(line, "known_hosts");
  return parsed!;
}

describe("parseKnownHosts", () => {
  it("reads entries with their file and line, skipping comments, blanks and unreadable lines", () => {
    const text = [
      "# comment",
      "",
      `web1,10.0.0.1 ssh-ed25519 ${ED25519} root@web1`,
      "broken-line-without-key",
      `@revoked * ssh-ed25519 ${ED25519}`,
      `@cert-authority *.example.com ssh-ed25519 ${ED25519}`,
      `web2 ssh-ed25519 not*base64`,
    ].join("\n");
    const entries = parseKnownHosts(text, "/home/me/.ssh/known_hosts");
    expect(entries.map((e) => [e.line, e.marker, e.hosts, e.keyType])).toEqual([
      [3, undefined, "web1,10.0.0.1", "ssh-ed25519"],
      [5, "revoked", "*", "ssh-ed25519"],
      [6, "cert-authority", "*.example.com", "ssh-ed25519"],
    ]);
    expect(entries[0]!.file).toBe("/home/me/.ssh/known_hosts");
    expect(entries[0]!.key.equals(key)).toBe(true);
  });
});

describe("knownHostName", () => {
  it("is the bare host on port 22 and [host]:port elsewhere, in lower case", () => {
    expect(knownHostName("Web1.Example.com", 22)).toBe("web1.example.com");
    expect(knownHostName("10.0.0.1", 2222)).toBe("[10.0.0.1]:2222");
    expect(knownHostName("::1", 2222)).toBe("[::1]:2222");
  });
});

describe("entryMatchesName", () => {
  it("matches plain names, comma lists and [host]:port entries exactly", () => {
    const list = entry(`web1,10.0.0.1,[10.0.0.2]:2222 ssh-ed25519 ${ED25519}`);
    expect(entryMatchesName(list, "web1")).toBe(true);
    expect(entryMatchesName(list, "10.0.0.1")).toBe(true);
    expect(entryMatchesName(list, "[10.0.0.2]:2222")).toBe(true);
    expect(entryMatchesName(list, "10.0.0.2")).toBe(false);
    expect(entryMatchesName(list, "[10.0.0.1]:2222")).toBe(false);
    expect(entryMatchesName(list, "web10")).toBe(false);
  });

  it("matches host names case-insensitively", () => {
    expect(entryMatchesName(entry(`WEB1.Example.COM ssh-ed25519 ${ED25519}`), "web1.example.com")).toBe(true);
  });

  it("supports * and ? wildcards and ! negation", () => {
    const wild = entry(`*.example.com,!db.example.com,web? ssh-ed25519 ${ED25519}`);
    expect(entryMatchesName(wild, "a.example.com")).toBe(true);
    expect(entryMatchesName(wild, "web7")).toBe(true);
    expect(entryMatchesName(wild, "db.example.com")).toBe(false);
    expect(entryMatchesName(wild, "example.com")).toBe(false);
    expect(entryMatchesName(wild, "web77")).toBe(false);
  });

  it("matches hashed names as written by ssh-keygen -H", () => {
    const hashed = entry(HASHED_LINE);
    expect(entryMatchesName(hashed, "[127.0.0.1]:42022")).toBe(true);
    expect(entryMatchesName(hashed, "127.0.0.1")).toBe(false);
  });

  it("matches hashed names made with any salt", () => {
    const salt = randomBytes(20);
    const hash = createHmac("sha1", salt).update("web1.example.com").digest("base64");
    const hashed = entry(`|1|${salt.toString("base64")}|${hash} ssh-ed25519 ${ED25519}`);
    expect(entryMatchesName(hashed, "web1.example.com")).toBe(true);
  });
});

describe("checkHostKey", () => {
  const other = otherEd25519Key();

  it("knows a host whose key is on record", () => {
    const entries = parseKnownHosts(`other ssh-ed25519 ${other.toString("base64")}\nweb1 ssh-ed25519 ${ED25519}`, "kh");
    expect(checkHostKey(entries, "web1", key)).toEqual({ status: "known", entry: entries[1] });
  });

  it("reports a changed key with every stored entry for the host", () => {
    const entries = parseKnownHosts(`web1 ssh-ed25519 ${other.toString("base64")}\n*.example.com ssh-ed25519 ${ED25519}`, "kh");
    expect(checkHostKey(entries, "web1", key)).toEqual({ status: "changed", stored: [entries[0]] });
  });

  it("reports a revoked key even when it is also on record", () => {
    const entries = parseKnownHosts(`web1 ssh-ed25519 ${ED25519}\n@revoked * ssh-ed25519 ${ED25519}`, "kh");
    expect(checkHostKey(entries, "web1", key)).toEqual({ status: "revoked", entry: entries[1] });
  });

  it("treats a host only covered by a certificate authority as unknown", () => {
    const entries = parseKnownHosts(`@cert-authority * ssh-ed25519 ${other.toString("base64")}`, "kh");
    expect(checkHostKey(entries, "web1", key)).toEqual({ status: "unknown" });
  });

  it("finds hashed entries", () => {
    expect(checkHostKey(parseKnownHosts(HASHED_LINE, "kh"), "[127.0.0.1]:42022", key).status).toBe("known");
    expect(checkHostKey(parseKnownHosts(HASHED_LINE, "kh"), "[127.0.0.1]:42022", other).status).toBe("changed");
  });
});

describe("key helpers", () => {
  it("computes fingerprints as OpenSSH prints them", () => {
    expect(fingerprint(key)).toBe(ED25519_FINGERPRINT);
  });

  it("reads the key type from the key blob", () => {
    expect(keyTypeOf(key)).toBe("ssh-ed25519");
  });

  it("lists the key types on record for a host, once each", () => {
    const entries = parseKnownHosts(`web1 ssh-ed25519 ${ED25519}\nweb1,web2 ssh-ed25519 ${ED25519}\nweb2 ssh-ed25519 ${ED25519}`, "kh");
    expect(knownKeyTypes(entries, "web1")).toEqual(["ssh-ed25519"]);
    expect(knownKeyTypes(entries, "db")).toEqual([]);
  });

  it("writes a known_hosts line", () => {
    expect(knownHostsLine("[10.0.0.1]:2222", key)).toBe(`[10.0.0.1]:2222 ssh-ed25519 ${ED25519}`);
  });
});
