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
    const shown = isShown(event, this.verbosity);
    if (!shown && !this.renderer.seesHiddenEvents) return;
    this.renderer.render(redactEvent(event, this.redactor), shown);
  };

  /**
   * Ends what the renderer draws in place (the live view): before the process exits, and before
   * anything else takes the terminal (a prompt, an interactive session), which a redraw would garble.
   */
  close(): void {
    this.renderer.close?.();
  }

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

  /**
   * A result for machines: its secret fields are masked in the data, and its text is that data as
   * JSON, written after masking so that it stays valid JSON whatever the secrets' values.
   */
  structured(data: unknown): void {
    const masked = this.redactor.redactData(data);
    this.renderer.render({ type: "result", text: JSON.stringify(masked), data: masked }, true);
  }
}

function redactEvent(event: OutputEvent, redactor: Redactor): OutputEvent {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) {
    // `host` names a host: shown as itself even when a secret holds the same text.
    if (k === "host") copy[k] = v;
    else if (k === "data") copy[k] = redactor.redactData(v);
    else copy[k] = typeof v === "string" ? redactor.redact(v) : v;
  }
  return copy as OutputEvent;
}
