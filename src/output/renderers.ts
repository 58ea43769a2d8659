import type { OutputEvent } from "./events.js";

export type Format = "tty" | "plain" | "json";

export interface Renderer {
  readonly format: Format;
  /** Also gets the events the verbosity hides (NDJSON writes them all; the live view follows hosts with them). */
  readonly seesHiddenEvents?: boolean;
  /** `shown`: whether the verbosity shows this event. */
  render(event: OutputEvent, shown: boolean): void;
  close?(): void;
}

export interface Sinks {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processSinks: Sinks = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export interface Style {
  host(text: string): string;
  phase(text: string): string;
  dim(text: string): string;
  warn(text: string): string;
  error(text: string): string;
  ok(text: string): string;
}

const noStyle: Style = {
  host: (t) => t,
  phase: (t) => t,
  dim: (t) => t,
  warn: (t) => t,
  error: (t) => t,
  ok: (t) => t,
};

/** One line per event, host-prefixed; colored on a terminal, plain in CI and pipes. */
export class LineRenderer implements Renderer {
  constructor(
    readonly format: "tty" | "plain",
    private readonly sinks: Sinks,
    private readonly style: Style = noStyle,
  ) {}

  render(event: OutputEvent): void {
    const s = this.style;
    const prefix = (host: string | undefined): string => (host === undefined ? "" : `${s.host(`[${host}]`)} `);
    const lines = (host: string | undefined, text: string): string =>
      text
        .replace(/\n$/, "")
        .split("\n")
        .map((l) => prefix(host) + l)
        .join("\n") + "\n";

    switch (event.type) {
      case "phase":
        return this.sinks.out(s.phase(`* ${event.title}`) + "\n");
      case "info":
        return this.sinks.out(lines(event.host, event.message));
      case "warn":
        return this.sinks.err(lines(event.host, s.warn(`WARNING ${event.message}`)));
      case "result":
        return this.sinks.out(lines(event.host, event.label === undefined ? event.text : `${event.label}\n${event.text}`));
      case "error": {
        const hint = event.hint === undefined ? "" : `\n${s.warn(`  hint: ${event.hint}`)}`;
        return this.sinks.err(prefix(event.host) + s.error(`ERROR ${event.message}`) + hint + "\n");
      }
      case "connect":
        return this.sinks.out(prefix(event.host) + s.dim(`connected in ${seconds(event.durationMs)}`) + "\n");
      case "command":
        return this.sinks.out(prefix(event.host) + s.dim("$ ") + event.line + "\n");
      case "command-done": {
        const status = event.exitCode === 0 ? s.ok("ok") : s.error(`exit ${event.exitCode ?? "signal"}`);
        return this.sinks.out(prefix(event.host) + s.dim(`${status} in ${seconds(event.durationMs)}`) + "\n");
      }
      case "upload":
        return this.sinks.out(
          prefix(event.host) + s.dim(`upload ${event.path} (mode ${event.mode.toString(8).padStart(4, "0")}, ${event.bytes} bytes)`) + "\n",
        );
      case "output":
        return (event.stream === "stderr" ? this.sinks.err : this.sinks.out)(lines(event.host, event.text));
      case "done":
        return this.sinks.out(
          (event.ok ? s.ok("Finished") : s.error("Failed")) + ` all in ${seconds(event.durationMs)}\n`,
        );
      case "summary":
        // Plain output stays as it was: the per-host lines already tell the story.
        return;
    }
  }
}

/** NDJSON: one JSON object per event, with a timestamp, for machines. */
export class JsonRenderer implements Renderer {
  readonly format = "json";
  readonly seesHiddenEvents = true;

  constructor(private readonly sinks: Sinks) {}

  render(event: OutputEvent): void {
    this.sinks.out(JSON.stringify({ ts: new Date().toISOString(), ...event }) + "\n");
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/**
 * Picks the renderer: NDJSON when asked; on an interactive terminal outside CI, colored lines with
 * a live line per host (output/live.ts); plain lines everywhere else.
 */
export async function createRenderer(options: { json: boolean; sinks?: Sinks; env?: NodeJS.ProcessEnv }): Promise<Renderer> {
  const sinks = options.sinks ?? processSinks;
  if (options.json) return new JsonRenderer(sinks);
  const env = options.env ?? process.env;
  const interactive = options.sinks === undefined && process.stdout.isTTY === true && !env.CI && env.TERM !== "dumb" && !env.NO_COLOR;
  if (!interactive) return new LineRenderer("plain", sinks);
  const [{ default: chalk }, { LiveRenderer }] = await Promise.all([import("chalk"), import("./live.js")]);
  return new LiveRenderer(process.stdout, process.stderr, {
    host: (t) => chalk.cyan(t),
    phase: (t) => chalk.magenta.bold(t),
    dim: (t) => chalk.gray(t),
    warn: (t) => chalk.yellow(t),
    error: (t) => chalk.red(t),
    ok: (t) => chalk.green(t),
  });
}
