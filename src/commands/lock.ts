import type { Config } from "../config/model.js";
import { cmd, combine, glob, group, chain, pipe, silence, silenceStderr, write, type Cmd } from "./shell.js";

// The deploy lock: a directory made with `mkdir` on the primary host (atomic: exactly one of two
// racing deploys creates it), holding a base64 details file as MRSK writes it.
//
// A lease adds three empty files whose names and times carry its state, all on the host's clock:
// `owner.<token>` (which CLI holds it), `ttl.<seconds>` (how long it lives without a heartbeat) and
// `heartbeat` (its mtime is the last renewal). Taking over an expired lease renames `owner.<old>`
// to `owner.<new>`: rename(2) is atomic, so of two deploys taking over at once only one succeeds.

export interface Lease {
  /** Random, per CLI run: names this run's owner file. */
  token: string;
  ttlSeconds: number;
}

export function acquireLock(config: Config, details: string): Cmd {
  const dir = config.lockDirectory;
  return combine(
    cmd("mkdir", "-p", config.runDirectory),
    cmd("mkdir", dir),
    write(cmd("echo", Buffer.from(details).toString("base64")), `${dir}/details`),
  );
}

/** Takes the lock as a lease: the details plus the owner, ttl and heartbeat files. */
export function acquireLease(config: Config, details: string, lease: Lease): Cmd {
  const dir = config.lockDirectory;
  return combine(acquireLock(config, details), cmd("touch", `${dir}/heartbeat`, ownerFile(config, lease.token), `${dir}/ttl.${lease.ttlSeconds}`));
}

/**
 * Takes over an expired lease held by `previousToken`: fails (changing nothing) when another deploy
 * took it over first or its holder released it. `audit` records the takeover on the same host.
 */
export function takeOverLease(config: Config, previousToken: string, details: string, lease: Lease, audit: Cmd): Cmd {
  const dir = config.lockDirectory;
  return combine(
    cmd("mv", ownerFile(config, previousToken), ownerFile(config, lease.token)),
    group(combine(cmd("cd", dir), cmd("rm", "-f", glob("ttl.*")))),
    cmd("touch", `${dir}/heartbeat`, `${dir}/ttl.${lease.ttlSeconds}`),
    write(cmd("echo", Buffer.from(details).toString("base64")), `${dir}/details`),
    audit,
  );
}

/** Renews the heartbeat, failing when the lease is no longer this run's (taken over or released). */
export function renewLease(config: Config, token: string): Cmd {
  return combine(cmd("test", "-e", ownerFile(config, token)), cmd("touch", `${config.lockDirectory}/heartbeat`));
}

/** Removes the lock only while this run holds it. */
export function releaseLease(config: Config, token: string): Cmd {
  return combine(cmd("test", "-e", ownerFile(config, token)), releaseLock(config));
}

export function releaseLock(config: Config): Cmd {
  return cmd("rm", "-rf", config.lockDirectory);
}

/**
 * Fails when there is no lock; else prints the host's time (`date +%s`), then `<mtime> <name>` for
 * each file in the lock, then the decoded details.
 */
export function lockStatus(config: Config): Cmd {
  const dir = config.lockDirectory;
  return combine(
    silence(cmd("stat", dir)),
    cmd("date", "+%s"),
    cmd("cd", dir),
    group(chain(silenceStderr(cmd("stat", "-c", "%Y %n", glob("*"))), pipe(cmd("cat", "details"), cmd("base64", "-d")), cmd("true"))),
  );
}

function ownerFile(config: Config, token: string): string {
  return `${config.lockDirectory}/owner.${token}`;
}
