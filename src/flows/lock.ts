import type { Config } from "../config/model.js";
import { acquireLock, lockStatus, releaseLock } from "../commands/lock.js";
import { MrskError } from "../errors.js";
import type { HostSession } from "../transport/types.js";
import type { Performer } from "./identity.js";

// The deploy lock on the primary host: who holds it, since when, for which version and why.

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

/** When the lock was taken, read back from its details, for "held for 3m". */
export function lockedAt(details: string): Date | undefined {
  const m = /^Locked by: .* at (\S+)$/m.exec(details);
  if (!m) return undefined;
  const at = new Date(m[1]!);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export function describeAge(since: Date, now: Date = new Date()): string {
  const s = Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export class LockHeldError extends MrskError {
  constructor(
    readonly host: string,
    readonly details: string,
  ) {
    const at = lockedAt(details);
    super(`Deploy lock found on ${host}${at === undefined ? "" : `, held for ${describeAge(at)}`}:\n${indentDetails(details)}`, {
      hint: "wait for that deploy to finish, or run `mrsk lock release` if it is gone (or deploy with --lock-wait)",
    });
  }
}

function indentDetails(details: string): string {
  return details
    .trimEnd()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

/** The lock's details, or undefined when nobody holds it. */
export async function readLock(session: HostSession, config: Config): Promise<string | undefined> {
  const result = await session.run(lockStatus(config), { tolerate: true });
  return result.exitCode === 0 ? result.stdout : undefined;
}

/** Takes the lock or throws LockHeldError with the holder's details. */
export async function takeLock(session: HostSession, config: Config, request: LockRequest): Promise<void> {
  const result = await session.run(acquireLock(config, lockDetails(request)), { tolerate: true });
  if (result.exitCode === 0) return;
  const details = await readLock(session, config);
  if (details !== undefined) throw new LockHeldError(session.host, details);
  throw new MrskError(`Could not take the deploy lock on ${session.host}: ${result.stderr.trim() || `exit code ${result.exitCode}`}`, {
    hint: `check that ${config.lockDirectory} can be created in the SSH user's home`,
  });
}

export async function dropLock(session: HostSession, config: Config): Promise<void> {
  await session.run(releaseLock(config));
}
