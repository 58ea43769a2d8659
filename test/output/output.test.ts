import { describe, expect, it } from "vitest";
import type { OutputEvent } from "../../src/output/events.js";
import { Output } from "../../src/output/output.js";
import { Redactor, SecretField } from "../../src/output/redact.js";
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

const PEM = ["-----BEGIN PRIVATE KEY-----", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi", "-----END PRIVATE KEY-----", ""].join("\n");

describe("redaction", () => {
  it("masks every line of a multi-line secret wherever it appears, one line at a time or cut short", () => {
    const redactor = new Redactor();
    redactor.register(PEM);
    // Output arrives a line at a time (hooks, remote commands), or as a tail that cuts the value.
    for (const line of PEM.trimEnd().split("\n")) expect(redactor.redact(`[hook] ${line}`)).toBe("[hook] [REDACTED]");
    expect(redactor.redact(PEM.split("\n").slice(1).join("\n"))).toBe("[REDACTED]\n[REDACTED]\n[REDACTED]\n");
    // Indented (a YAML block, a JSON dump with \n escapes) and with CRLF line ends.
    expect(redactor.redact(`    ${PEM.split("\n")[1]}\r`)).toBe("    [REDACTED]\r");
    expect(redactor.redact(JSON.stringify({ key: PEM }))).not.toMatch(/MIIE|Zm9v|BEGIN/);
    const crlf = new Redactor();
    crlf.register("first-line-of-it\r\nsecond-line-too\r\n");
    expect(crlf.redact("second-line-too")).toBe("[REDACTED]");
  });

  it("masks a secret with quotes or backslashes where JSON escapes them (docker inspect, quoted values)", () => {
    const redactor = new Redactor();
    redactor.register('pa"ss\\word-1');
    const inspect = JSON.stringify({ Env: ['DB_PASSWORD=pa"ss\\word-1'] });
    expect(redactor.redact(inspect)).toBe('{"Env":["DB_PASSWORD=[REDACTED]"]}');
    expect(redactor.redact('raw pa"ss\\word-1')).toBe("raw [REDACTED]");
  });

  it("masks a secret with a single quote as a command line quotes it", async () => {
    const { toShell } = await import("../../src/commands/shell.js");
    const redactor = new Redactor();
    redactor.register("it's-a-secret");
    expect(redactor.redact(toShell(["echo", "it's-a-secret"]))).toBe("echo '[REDACTED]'");
  });

  it("leaves lines of a multi-line secret that are too short to mask, and says the value is maskable", () => {
    const redactor = new Redactor();
    expect(redactor.register("abc\nlong-enough-line\n}")).toBe(true);
    expect(redactor.redact("abc } long-enough-line")).toBe("abc } [REDACTED]");
    expect(redactor.register("abc")).toBe(false);
    expect(redactor.register("  ")).toBe(true);
    expect(redactor.redact("abc")).toBe("abc");
  });

  it("shows configured hosts as themselves, even when a secret holds one or is part of one", () => {
    const redactor = new Redactor();
    redactor.register("192.0.2.80");
    redactor.register("placecal.org");
    redactor.register("postgres://app:pw@192.0.2.80/db");
    redactor.showHosts(["192.0.2.80", "web1.placecal.org"]);
    expect(redactor.redact("Deploying to 192.0.2.80 and web1.placecal.org")).toBe("Deploying to 192.0.2.80 and web1.placecal.org");
    // Elsewhere the secrets stay masked: a domain that is not a host, a longer secret that holds one.
    expect(redactor.redact("site placecal.org")).toBe("site [REDACTED]");
    expect(redactor.redact("DATABASE_URL=postgres://app:pw@192.0.2.80/db")).toBe("DATABASE_URL=[REDACTED]");
  });

  it("never lets a host or a shorter secret that starts earlier hide part of a longer secret", () => {
    const redactor = new Redactor();
    redactor.register("1secretvalue");
    redactor.register("abcd");
    redactor.register("cdefghij");
    redactor.showHosts(["10.0.0.1"]);
    expect(redactor.redact("at 10.0.0.1secretvalue")).toBe("at 10.0.0.[REDACTED]");
    expect(redactor.redact("xabcdefghijx")).toBe("x[REDACTED]x");
    expect(redactor.redact("host 10.0.0.1 alone")).toBe("host 10.0.0.1 alone");
  });

  it("prefixes lines with the host even when a secret's value is that host", () => {
    const out: string[] = [];
    const redactor = new Redactor();
    redactor.register("192.0.2.80");
    redactor.register("s3cr3t-value");
    const output = new Output(new LineRenderer("plain", { out: (t) => out.push(t), err: (t) => out.push(t) }), redactor, "verbose");
    output.emit({ type: "output", host: "192.0.2.80", stream: "stdout", text: "token s3cr3t-value" });
    expect(out.join("")).toBe("[192.0.2.80] token [REDACTED]\n");
  });

  it("masks structured data by field: numbers and booleans equal to a secret stay, the JSON stays valid", () => {
    const out: string[] = [];
    const redactor = new Redactor();
    for (const secret of ["3000", "true", "s3cr3t-value"]) redactor.register(secret);
    const output = new Output(new JsonRenderer({ out: (t) => out.push(t), err: (t) => out.push(t) }), redactor, "normal");
    const data = { port: 3000, proxied: true, cmd: "run s3cr3t-value", password: new SecretField(), short: new SecretField(), list: [3000, "true"] };
    output.structured(data);
    output.emit({ type: "result", text: "port 3000", data });
    const [structured, emitted] = out.map((l) => JSON.parse(l) as { text: string; data: unknown });
    const masked = { port: 3000, proxied: true, cmd: "run [REDACTED]", password: "[REDACTED]", short: "[REDACTED]", list: [3000, "[REDACTED]"] };
    expect(structured!.data).toEqual(masked);
    expect(JSON.parse(structured!.text)).toEqual(masked);
    expect(emitted!.data).toEqual(masked);
    // Text keeps masking by substitution.
    expect(emitted!.text).toBe("port [REDACTED]");
  });
});
