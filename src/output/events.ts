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
  | { type: "done"; ok: boolean; durationMs: number };

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
