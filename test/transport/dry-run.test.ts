import { describe, expect, it } from "vitest";
import { op } from "../../src/commands/shell.js";
import { DryRunTransport } from "../../src/transport/dry-run.js";
import type { TransportEvent } from "../../src/transport/types.js";

const redact = (text: string): string => text.replaceAll("s3cret", "[REDACTED]");

function dryRun(): { transport: DryRunTransport; events: TransportEvent[] } {
  const events: TransportEvent[] = [];
  return { transport: new DryRunTransport({ redact, listener: (e) => events.push(e) }), events };
}

describe("DryRunTransport", () => {
  it("records every command per host, redacted, and reports it as a command event", async () => {
    const { transport, events } = dryRun();
    const web1 = await transport.session("web1");
    const web2 = await transport.session("web2");
    await web1.run(["docker", "login", "-p", "s3cret", "registry"]);
    await web2.run(["docker", "ps", op("|"), "grep", "app"]);
    await web1.stream(["docker", "logs", "-f", "app"]);
    expect(transport.recorded("web1").map((r) => r.kind === "upload" || r.line)).toEqual([
      "docker login -p [REDACTED] registry",
      "docker logs -f app",
    ]);
    expect(transport.recorded().map((r) => r.host)).toEqual(["web1", "web2", "web1"]);
    expect(events).toEqual([
      { type: "command", host: "web1", line: "docker login -p [REDACTED] registry" },
      { type: "command", host: "web2", line: "docker ps | grep app" },
      { type: "command", host: "web1", line: "docker logs -f app" },
    ]);
  });

  it("answers exit 0 with empty output, or a canned answer that matches", async () => {
    const { transport } = dryRun();
    transport.answer("web1", (line) => line.startsWith("docker ps"), "abc123\n");
    transport.answer("web1", (line) => line.includes("--filter status=running"), "def456\n");
    const web1 = await transport.session("web1");
    expect(await web1.run(["docker", "ps", "-q"])).toMatchObject({ stdout: "abc123\n", exitCode: 0, line: "docker ps -q" });
    expect((await web1.run(["docker", "ps", "-q", "--filter", "status=running"])).stdout).toBe("def456\n");
    expect((await web1.run(["docker", "images"])).stdout).toBe("");
    expect((await (await transport.session("web2")).run(["docker", "ps"])).stdout).toBe("");
    expect(await web1.stream(["docker", "logs"])).toBe(0);
  });

  it("records uploads without their content", async () => {
    const { transport, events } = dryRun();
    await (await transport.session("web1")).upload(".mrsk/env/web.env", "TOKEN=s3cret\n", 0o600);
    expect(transport.recorded()).toEqual([{ kind: "upload", host: "web1", path: ".mrsk/env/web.env", mode: 0o600, bytes: 13 }]);
    expect(events).toEqual([{ type: "upload", host: "web1", path: ".mrsk/env/web.env", mode: 0o600, bytes: 13 }]);
    expect(JSON.stringify(transport.recorded())).not.toContain("s3cret");
  });

  it("forwards nothing and closes quietly", async () => {
    const { transport } = dryRun();
    const unforward = await (await transport.session("web1")).forwardRemotePort(5555, "127.0.0.1", 5000);
    await unforward();
    await transport.close();
    expect(transport.recorded()).toEqual([]);
  });
});
