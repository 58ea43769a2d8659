import type { TransportEvent } from "../transport/types.js";

export type Verbosity = "quiet" | "normal" | "verbose";

/** Everything the tool tells its user goes through one stream of these. */
export type OutputEvent =
  | TransportEvent
  /** A step of a flow, e.g. "Acquiring the deploy lock". */
  | { type: "phase"; title: string }
  | { type: "info"; message: string; host?: string }
  | { type: "warn"; message: string; host?: string }
  /** What the user asked to see (command output of `server exec`, lock details, the config). */
  | { type: "result"; text: string; host?: string; label?: string; data?: unknown }
  | { type: "error"; message: string; hint?: string; host?: string }
  /** After a boot: one row per host and role (the TTY view's closing table; one NDJSON event). */
  | { type: "summary"; rows: SummaryRow[] }
  | { type: "done"; ok: boolean; durationMs: number };

export interface SummaryRow {
  host: string;
  role: string;
  /** The version that served before, when one did. */
  previous?: string;
  version: string;
  /** From the start of the wait for health until this container passed it. */
  healthyMs?: number;
  result: "ok" | "failed" | "rolled back";
}

export type EventType = OutputEvent["type"];

/** Which events each verbosity shows; errors and results always show. */
export function isShown(event: OutputEvent, verbosity: Verbosity): boolean {
  switch (event.type) {
    case "error":
    case "result":
      return true;
    case "phase":
    case "info":
    case "warn":
    case "summary":
    case "done":
      return verbosity !== "quiet";
    case "command":
    case "command-done":
    case "output":
    case "upload":
    case "connect":
      return verbosity === "verbose";
  }
}
