import { describe, expect, it } from "vitest";
import { RemoteCommandError } from "../../src/errors.js";
import { CommandReport, LineBuffer } from "../../src/transport/command-report.js";
import type { TransportEvent } from "../../src/transport/types.js";

describe("LineBuffer", () => {
  it("returns whole lines and keeps the rest for later", () => {
    const lines = new LineBuffer();
    expect(lines.push(Buffer.from("one\ntw"))).toEqual(["one"]);
    expect(lines.push(Buffer.from("o\r\nthree"))).toEqual(["two"]);
    expect(lines.flush()).toEqual(["three"]);
    expect(lines.flush()).toEqual([]);
  });

  it("does not split a character cut between chunks", () => {
    const bytes = Buffer.from("héllo\n");
    const lines = new LineBuffer();
    expect(lines.push(bytes.subarray(0, 2))).toEqual([]);
    expect(lines.push(bytes.subarray(2))).toEqual(["héllo"]);
  });
});

describe("CommandReport", () => {
  const redact = (text: string): string => text.replaceAll("s3cret", "[REDACTED]");

  it("reports the redacted line at the start and the exit code at the end", () => {
    const events: TransportEvent[] = [];
    const report = new CommandReport({ redact, listener: (e) => events.push(e) }, "web1", ["echo", "s3cret"]);
    expect(report.shellLine).toBe("echo s3cret");
    const result = report.finish({ stdout: "s3cret\n", stderr: "", exitCode: 0 });
    expect(result).toMatchObject({ host: "web1", line: "echo [REDACTED]", stdout: "s3cret\n", exitCode: 0 });
    expect(events.map((e) => e.type)).toEqual(["command", "command-done"]);
    expect(events[0]).toEqual({ type: "command", host: "web1", line: "echo [REDACTED]" });
  });

  it("throws RemoteCommandError on failure unless tolerated", () => {
    const report = (): CommandReport => new CommandReport({ redact }, "web1", ["false"]);
    expect(() => report().finish({ stdout: "", stderr: "nope\n", exitCode: 1 })).toThrow(RemoteCommandError);
    expect(report().finish({ stdout: "", stderr: "nope\n", exitCode: 1 }, true).exitCode).toBe(1);
  });

  it("emits output lines only when echoing", () => {
    const events: TransportEvent[] = [];
    const report = new CommandReport({ redact, listener: (e) => events.push(e) }, "web1", ["ls"], { echo: true });
    report.output("stdout", Buffer.from("a\nb"));
    report.output("stderr", Buffer.from("warn\n"));
    report.finish({ stdout: "a\nb", stderr: "warn\n", exitCode: 0 });
    expect(events.flatMap((e) => (e.type === "output" ? [[e.stream, e.text]] : []))).toEqual([
      ["stdout", "a"],
      ["stderr", "warn"],
      ["stdout", "b"],
    ]);
  });
});
