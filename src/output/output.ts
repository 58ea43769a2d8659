import { isShown, type OutputEvent, type Verbosity } from "./events.js";
import type { Redactor } from "./redact.js";
import type { Renderer } from "./renderers.js";

/** The single sink for events: redacts every string once, then hands the event to a renderer. */
export class Output {
  constructor(
    private readonly renderer: Renderer,
    readonly redactor: Redactor,
    readonly verbosity: Verbosity,
  ) {}

  emit = (event: OutputEvent): void => {
    if (!isShown(event, this.verbosity) && this.renderer.format !== "json") return;
    this.renderer.render(redactEvent(event, this.redactor.redact));
  };

  phase(title: string): void {
    this.emit({ type: "phase", title });
  }

  info(message: string, host?: string): void {
    this.emit(host === undefined ? { type: "info", message } : { type: "info", message, host });
  }

  warn(message: string, host?: string): void {
    this.emit(host === undefined ? { type: "warn", message } : { type: "warn", message, host });
  }

  result(text: string, options: { host?: string; label?: string; data?: unknown } = {}): void {
    this.emit({ type: "result", text, ...options });
  }
}

function redactEvent(event: OutputEvent, redact: (s: string) => string): OutputEvent {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) {
    // Structured data (`result.data`) is redacted through its JSON text; the mask has no quotes.
    copy[k] = typeof v === "string" ? redact(v) : v !== null && typeof v === "object" ? JSON.parse(redact(JSON.stringify(v))) : v;
  }
  return copy as OutputEvent;
}
