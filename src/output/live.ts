import { createLogUpdate } from "log-update";
import type { OutputEvent, SummaryRow } from "./events.js";
import { LineRenderer, seconds, type Renderer, type Style } from "./renderers.js";

// The terminal view: one line per host with a spinner, its elapsed time and what it is doing,
// redrawn in place by log-update (chosen over listr2, whose task tree does not fit an event stream,
// and ora, which draws one spinner); every other line (phases, results, warnings, errors) is
// printed above it as the plain renderer would print it, in color. After a boot, the hosts' final
// states stay on screen and a summary table follows.

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const FRAME_MS = 100;

type HostState = "working" | "ok" | "failed" | "rolled back" | "stopped";

interface HostLine {
  step: string;
  startedAt: number;
  state: HostState;
  endedAt?: number;
}

interface Stream {
  write(text: string): unknown;
  readonly columns?: number;
}

export class LiveRenderer implements Renderer {
  readonly format = "tty";
  readonly seesHiddenEvents = true;
  private readonly hosts = new Map<string, HostLine>();
  private readonly log: ReturnType<typeof createLogUpdate>;
  private readonly lines: LineRenderer;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private finished = false;

  constructor(
    private readonly out: Stream & NodeJS.WritableStream,
    err: Stream,
    private readonly style: Style,
    private readonly now: () => number = Date.now,
  ) {
    this.log = createLogUpdate(out, { showCursor: true });
    // Lines go above the live block: clear it, write, draw it again.
    const above = (stream: Stream) => (text: string) => {
      if (this.finished) return void stream.write(text);
      this.log.clear();
      stream.write(text);
      this.draw();
    };
    this.lines = new LineRenderer("tty", { out: above(out), err: above(err) }, style);
  }

  render(event: OutputEvent, shown: boolean): void {
    this.follow(event);
    if (event.type === "summary") this.finish(event.rows, "ok");
    // An error ends the live view first, so that errors read below the hosts' final states.
    if (event.type === "error") this.finish(undefined, "stopped");
    if (event.type !== "summary" && shown) this.lines.render(event);
    if (event.type === "done") this.finish(undefined, event.ok ? "ok" : "stopped");
  }

  /** The command ended without saying how each host ended (an error, or a command without a boot). */
  close(): void {
    this.finish(undefined, "stopped");
  }

  /** Updates the host lines from what an event says about a host. */
  private follow(event: OutputEvent): void {
    if (this.finished || !("host" in event) || typeof event.host !== "string") return;
    const line = this.hosts.get(event.host) ?? { step: "", startedAt: this.now(), state: "working" as HostState };
    this.hosts.set(event.host, line);
    switch (event.type) {
      case "connect":
        line.step = "connected";
        break;
      case "command":
        line.step = describeCommand(event.line);
        break;
      case "upload":
        line.step = `upload ${event.path}`;
        break;
      case "error":
        line.state = "failed";
        line.endedAt = this.now();
        line.step = event.message.split("\n")[0] ?? "";
        break;
      default:
        return;
    }
    this.timer ??= setInterval(() => this.draw(), FRAME_MS).unref();
    this.draw();
  }

  /** Leaves the hosts' final states on screen, then the summary table when there is one. */
  private finish(rows: readonly SummaryRow[] | undefined, otherwise: "ok" | "stopped"): void {
    if (this.finished) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const row of rows ?? []) {
      const line = this.hosts.get(row.host);
      if (line === undefined || line.state === "failed") continue;
      line.state = row.result === "ok" ? "ok" : row.result;
    }
    const end = this.now();
    for (const line of this.hosts.values()) {
      if (line.state === "working") line.state = otherwise;
      line.endedAt ??= end;
      if (line.state === "ok") line.step = "done";
      else if (line.state === "rolled back") line.step = "rolled back";
    }
    this.draw();
    this.finished = true;
    this.log.done();
    if (rows !== undefined && rows.length > 0) this.out.write(`${summaryTable(rows, this.width(), this.style)}\n`);
  }

  private width(): number {
    return Math.max(20, (this.out.columns ?? 80) - 1);
  }

  private draw(): void {
    if (this.finished || this.hosts.size === 0) return;
    this.frame = (this.frame + 1) % SPINNER.length;
    const width = this.width();
    const hostWidth = Math.min(Math.max(...[...this.hosts.keys()].map((h) => h.length)), Math.floor(width / 3));
    const text = [...this.hosts].map(([host, line]) => {
      const mark = { working: SPINNER[this.frame]!, ok: "✔", failed: "✖", "rolled back": "↺", stopped: "–" }[line.state];
      const elapsed = seconds((line.endedAt ?? this.now()) - line.startedAt).padStart(6);
      const fixed = `${mark} ${fit(host, hostWidth).padEnd(hostWidth)} ${elapsed} `;
      const step = fit(line.step, width - fixed.length);
      const colored = line.state === "failed" ? this.style.error(mark) : line.state === "ok" ? this.style.ok(mark) : mark;
      return `${colored} ${this.style.host(fit(host, hostWidth).padEnd(hostWidth))} ${this.style.dim(elapsed)} ${line.state === "failed" ? this.style.error(step) : step}`;
    });
    this.log(text.join("\n"));
  }
}

/** `mkdir -p … && echo … >> audit.log && docker pull app:v2` → `docker pull app:v2`: the part that does the work. */
export function describeCommand(line: string): string {
  const parts = line.split(/ (?:&&|;|\|\|) /).map((p) => p.trim());
  const work = parts.filter((p) => !/^(?:mkdir -p|echo |test -e|umask )/.test(p));
  return (work.find((p) => p.startsWith("docker ")) ?? work.at(-1) ?? parts.at(-1) ?? line).replace(/\s+/g, " ");
}

/** Cuts `text` to `width` characters, with an ellipsis when cut. */
function fit(text: string, width: number): string {
  if (width <= 0) return "";
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** host | role | version | healthy | result, as a table; one line per row when that is too wide. */
export function summaryTable(rows: readonly SummaryRow[], width: number, style: Pick<Style, "ok" | "error" | "dim">): string {
  const cells = rows.map((r) => [
    r.host,
    r.role,
    r.previous === undefined ? r.version : `${r.previous} → ${r.version}`,
    r.healthyMs === undefined ? "" : seconds(r.healthyMs),
    r.result,
  ]);
  const header = ["host", "role", "version", "healthy", "result"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const color = (result: string, text: string): string => (result === "ok" ? style.ok(text) : style.error(text));
  if (widths.reduce((a, b) => a + b + 2, 0) <= width) {
    const row = (c: readonly string[]) => c.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
    return [style.dim(row(header)), ...cells.map((c) => color(c[4]!, row(c)))].join("\n");
  }
  return cells.map((c) => color(c[4]!, fit(`${c[0]} ${c[1]}: ${c[2]}${c[3] === "" ? "" : `, ${c[3]}`}, ${c[4]}`, width))).join("\n");
}
