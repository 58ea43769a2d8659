import { describe, expect, it } from "vitest";
import type { OutputEvent } from "../../src/output/events.js";
import { Output } from "../../src/output/output.js";
import { Redactor } from "../../src/output/redact.js";
import { JsonRenderer, LineRenderer } from "../../src/output/renderers.js";

function capture(format: "plain" | "json", verbosity: "quiet" | "normal" | "verbose" = "normal") {
  const out: string[] = [];
  const err: string[] = [];
  const sinks = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  const redactor = new Redactor();
  redactor.register("s3cr3t-value");
  const renderer = format === "json" ? new JsonRenderer(sinks) : new LineRenderer("plain", sinks);
  return { output: new Output(renderer, redactor, verbosity), out, err };
}

describe("output", () => {
  it("prefixes lines with their host and sends warnings and errors to stderr", () => {
    const { output, out, err } = capture("plain");
    output.phase("Deploying");
    output.result("line one\nline two", { host: "h1" });
    output.warn("careful", "h2");
    output.emit({ type: "error", message: "it broke", hint: "fix it" });
    expect(out.join("")).toBe("* Deploying\n[h1] line one\n[h1] line two\n");
    expect(err.join("")).toBe("[h2] WARNING careful\nERROR it broke\n  hint: fix it\n");
  });

  it("shows commands only when verbose, and only errors and results when quiet", () => {
    const command: OutputEvent = { type: "command", host: "h1", line: "docker ps" };
    const normal = capture("plain");
    normal.output.emit(command);
    expect(normal.out).toEqual([]);
    const verbose = capture("plain", "verbose");
    verbose.output.emit(command);
    expect(verbose.out.join("")).toBe("[h1] $ docker ps\n");
    const quiet = capture("plain", "quiet");
    quiet.output.phase("Deploying");
    quiet.output.result("answer");
    expect(quiet.out.join("")).toBe("answer\n");
  });

  it("writes one JSON object per event, with every event whatever the verbosity", () => {
    const { output, out } = capture("json", "quiet");
    output.emit({ type: "command", host: "h1", line: "docker ps" });
    const event = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(event).toMatchObject({ type: "command", host: "h1", line: "docker ps" });
    expect(typeof event.ts).toBe("string");
  });

  it("redacts every registered secret in text and in structured data, for every renderer", () => {
    for (const format of ["plain", "json"] as const) {
      const { output, out, err } = capture(format, "verbose");
      output.emit({ type: "command", host: "h1", line: "echo s3cr3t-value" });
      output.emit({ type: "error", message: "failed: s3cr3t-value" });
      output.emit({ type: "result", text: "x", data: { nested: { token: "s3cr3t-value" } } });
      const all = out.join("") + err.join("");
      expect(all).not.toContain("s3cr3t-value");
      expect(all).toContain("[REDACTED]");
    }
  });
});
