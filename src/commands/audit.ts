import type { Config } from "../config/model.js";
import { append, cmd, combine, type Cmd } from "./shell.js";

// One line per action in `<run dir>/<service>[-<dest>]/audit.log` on each host touched:
// `[time] [performer] [role] message`, as MRSK records it.

export interface AuditTags {
  recordedAt: string;
  performer: string;
  destination?: string | undefined;
  role?: string | undefined;
  /** Masks secret values, so a command line a user ran never lands in the log with one. */
  redact?: ((text: string) => string) | undefined;
}

export function auditLine(tags: AuditTags, message: string): string {
  const parts = [tags.recordedAt, tags.performer, tags.destination, tags.role].filter((t): t is string => t !== undefined && t !== "");
  return `${parts.map((t) => `[${t}]`).join(" ")} ${message}`;
}

export function recordAudit(config: Config, tags: AuditTags, message: string): Cmd {
  const line = auditLine(tags, message);
  return combine(cmd("mkdir", "-p", config.appDirectory), append(cmd("echo", tags.redact === undefined ? line : tags.redact(line)), config.auditLog));
}

export function readAudit(config: Config, lines = 50): Cmd {
  return cmd("tail", "-n", String(lines), config.auditLog);
}
