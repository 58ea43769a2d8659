import type { AuditTags } from "../commands/audit.js";
import type { Config } from "../config/model.js";
import type { FlowContext } from "./context.js";
import { currentPerformer } from "./identity.js";

/** Audit tags for this invocation: now, who, the destination, and the redaction of secrets. */
export function auditTags(ctx: FlowContext, config: Config, role?: string): AuditTags {
  return {
    recordedAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    performer: currentPerformer(ctx.env, ctx.cwd).name,
    destination: config.destination,
    role,
    redact: ctx.output.redactor.redact,
  };
}
