import { randomBytes } from "node:crypto";
import type { Config } from "../config/model.js";
import { recordAudit, type AuditTags } from "../commands/audit.js";
import { acquireLease, acquireLock, lockStatus, releaseLock, takeOverLease, type Lease } from "../commands/lock.js";
import { MrskError } from "../errors.js";
import type { HostSession } from "../transport/types.js";
import type { Performer } from "./identity.js";

// The deploy lock on the primary host: who holds it, since when, for which version and why; and,
// when a running CLI holds it as a lease, when it was last renewed and when it expires. Every time
// compared here was read from the host's clock, so a skewed laptop cannot expire a live lock.

export const AUTOMATIC_LOCK_MESSAGE = "Automatic deploy lock";

export interface LockRequest {
  performer: Performer;
  version: string;
  message: string;
  now?: Date;
}

/** The details file as MRSK writes it (first three lines), plus who/where for CI. */
export function lockDetails(request: LockRequest): string {
  const { performer } = request;
  const at = (request.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
  const lines = [
    `Locked by: ${performer.name} at ${at}`,
    `Version: ${request.version}`,
    `Message: ${request.message}`,
    `Host: ${performer.login}`,
  ];
  if (performer.ciRunUrl !== undefined) lines.push(`CI run: ${performer.ciRunUrl}`);
  return lines.join("\n") + "\n";
}

export function newLease(config: Config): Lease {
  return { token: randomBytes(8).toString("hex"), ttlSeconds: config.lockTtl };
}

/** A lock as read from the host. Times are seconds on the host's clock. */
export interface LockState {
  details: string;
  /** The host's time when it was read. */
  hostNow: number;
  /** When the details were written: the lock was taken (or taken over). */
  startedAt: number | undefined;
  /** Present only for a lease: a lock taken by a CLI that renews it. */
  lease: { owner: string; ttlSeconds: number; heartbeatAt: number } | undefined;
}

/** Parses the output of `lockStatus`. */
export function parseLockState(stdout: string): LockState {
  const lines = stdout.split("\n");
  const hostNow = Number(lines.shift());
  const mtimes = new Map<string, number>();
  while (lines.length > 0) {
    const m = /^(\d+) ([A-Za-z0-9._-]+)$/.exec(lines[0]!);
    if (m === null) break;
    mtimes.set(m[2]!, Number(m[1]));
    lines.shift();
  }
  const names = [...mtimes.keys()];
  const owner = names.find((n) => n.startsWith("owner."))?.slice("owner.".length);
  const ttl = names.find((n) => /^ttl\.\d+$/.test(n));
  const heartbeatAt = mtimes.get("heartbeat");
  return {
    details: lines.join("\n"),
    hostNow,
    startedAt: mtimes.get("details"),
    lease:
      owner === undefined || ttl === undefined || heartbeatAt === undefined
        ? undefined
        : { owner, ttlSeconds: Number(ttl.slice("ttl.".length)), heartbeatAt },
  };
}

/** Seconds until the lease expires (negative once expired); undefined for a lock without a lease. */
export function secondsToExpiry(state: LockState): number | undefined {
  return state.lease === undefined ? undefined : state.lease.heartbeatAt + state.lease.ttlSeconds - state.hostNow;
}

export function isExpired(state: LockState): boolean {
  const left = secondsToExpiry(state);
  return left !== undefined && left < 0;
}

/** A detail line's value: `Version`, `Message`, `CI run`… */
export function detail(details: string, key: string): string | undefined {
  return new RegExp(`^${key}: (.*)$`, "m").exec(details)?.[1];
}

/** Who held it, as written in the details: the name before " at <time>". */
export function holderOf(details: string): { name: string; since: string } | undefined {
  const m = /^Locked by: (.*) at (\S+)$/m.exec(details);
  return m === null ? undefined : { name: m[1]!, since: m[2]! };
}

/** When the lock was taken, read back from its details, for "held for 3m". */
export function lockedAt(details: string): Date | undefined {
  const holder = holderOf(details);
  if (holder === undefined) return undefined;
  const at = new Date(holder.since);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export function describeAge(since: Date, now: Date = new Date()): string {
  return describeSeconds((now.getTime() - since.getTime()) / 1000);
}

export function describeSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** Age, last heartbeat and expiry, as lines for `lock status` and the held-lock error. */
export function describeLease(state: LockState): string[] {
  const out: string[] = [];
  if (state.startedAt !== undefined) out.push(`Held for: ${describeSeconds(state.hostNow - state.startedAt)}`);
  else {
    const at = lockedAt(state.details);
    if (at !== undefined) out.push(`Held for: ${describeAge(at)}`);
  }
  if (state.lease === undefined) {
    out.push("Lease: none (taken by hand or by MRSK/Kamal: it stays until `mrsk lock release`)");
    return out;
  }
  const left = secondsToExpiry(state)!;
  out.push(`Last heartbeat: ${describeSeconds(state.hostNow - state.lease.heartbeatAt)} ago`);
  out.push(left < 0 ? `Expired: ${describeSeconds(-left)} ago (ttl ${state.lease.ttlSeconds}s); the next deploy takes it over` : `Expires: in ${describeSeconds(left)} without a heartbeat (ttl ${state.lease.ttlSeconds}s)`);
  return out;
}

export class LockHeldError extends MrskError {
  constructor(
    readonly host: string,
    readonly details: string,
    readonly state?: LockState,
  ) {
    super(`Deploy lock found on ${host}${heldFor(details, state)}:\n${indentDetails(details)}${state === undefined ? "" : `\n${indentDetails(describeLease(state).filter((l) => !l.startsWith("Held for")).join("\n"))}`}`, {
      hint:
        state?.lease === undefined
          ? "wait for that deploy to finish, or run `mrsk lock release` if it is gone (or deploy with --lock-wait)"
          : "wait for that deploy to finish (or deploy with --lock-wait): if it is gone, its lock expires once its heartbeat is older than the ttl and the next deploy takes it over",
    });
  }
}

function heldFor(details: string, state: LockState | undefined): string {
  if (state?.startedAt !== undefined) return `, held for ${describeSeconds(state.hostNow - state.startedAt)}`;
  const at = lockedAt(details);
  return at === undefined ? "" : `, held for ${describeAge(at)}`;
}

function indentDetails(details: string): string {
  return details
    .trimEnd()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

/** The lock as the host shows it, or undefined when nobody holds it. */
export async function readLock(session: HostSession, config: Config): Promise<LockState | undefined> {
  const result = await session.run(lockStatus(config), { tolerate: true });
  return result.exitCode === 0 ? parseLockState(result.stdout) : undefined;
}

/** How many times a failed `mkdir` is retried when the lock is gone by the time it is read. */
const VANISHED_LOCK_RETRIES = 5;

export interface Taken {
  /** The expired lock this run took over, if it did. */
  previous?: LockState;
}

/**
 * Takes the lock, or throws LockHeldError with the holder's details. With a lease, an expired
 * lease is taken over (recorded with `audit` in the host's audit log).
 */
export async function takeLock(
  session: HostSession,
  config: Config,
  request: LockRequest,
  lease?: { lease: Lease; audit: (previous: LockState) => AuditTags },
): Promise<Taken> {
  const details = lockDetails(request);
  let lastError = "";
  for (let attempt = 0; attempt < VANISHED_LOCK_RETRIES; attempt++) {
    const result = await session.run(lease === undefined ? acquireLock(config, details) : acquireLease(config, details, lease.lease), { tolerate: true });
    if (result.exitCode === 0) return {};
    lastError = result.stderr.trim() || `exit code ${result.exitCode}`;
    const state = await readLock(session, config);
    // Released between the failed mkdir and the read: try again.
    if (state === undefined) continue;
    if (lease === undefined || !isExpired(state)) throw new LockHeldError(session.host, state.details, state);
    const audit = recordAudit(config, lease.audit(state), describeTakeover(state));
    const takeover = await session.run(takeOverLease(config, state.lease!.owner, details, lease.lease, audit), { tolerate: true });
    if (takeover.exitCode === 0) return { previous: state };
    // Another deploy took it over first, or its holder released it: look again.
  }
  throw new MrskError(`Could not take the deploy lock on ${session.host}: ${lastError}`, {
    hint: `check that ${config.lockDirectory} can be created in the SSH user's home`,
  });
}

/** "Took over the expired deploy lock of Jane (since …, version 998, last heartbeat 6m ago, ttl 300s)". */
export function describeTakeover(previous: LockState): string {
  const holder = holderOf(previous.details);
  const facts = [
    holder === undefined ? undefined : `since ${holder.since}`,
    `version ${detail(previous.details, "Version") ?? "unknown"}`,
    detail(previous.details, "Message"),
    detail(previous.details, "CI run"),
    previous.lease === undefined ? undefined : `last heartbeat ${describeSeconds(previous.hostNow - previous.lease.heartbeatAt)} ago, ttl ${previous.lease.ttlSeconds}s`,
  ].filter((f): f is string => f !== undefined);
  return `Took over the expired deploy lock held by ${holder?.name ?? "an unknown holder"} (${facts.join(", ")})`;
}

export async function dropLock(session: HostSession, config: Config): Promise<void> {
  await session.run(releaseLock(config));
}
