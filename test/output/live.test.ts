import { Writable } from "node:stream";
import xterm from "@xterm/headless";
import { describe, expect, it } from "vitest";
import type { OutputEvent } from "../../src/output/events.js";
import { describeCommand, LiveRenderer, summaryTable } from "../../src/output/live.js";

// The terminal view, drawn into a headless terminal emulator (what a user's terminal would show):
// one line per host redrawn in place, the final states and the summary table, at 80 and 40 columns.

const plain = { host: (t: string) => t, phase: (t: string) => t, dim: (t: string) => t, warn: (t: string) => t, error: (t: string) => t, ok: (t: string) => t };

function screen(columns: number) {
  const term = new xterm.Terminal({ cols: columns, rows: 40, allowProposedApi: true });
  const writes: Array<Promise<void>> = [];
  const stream = Object.assign(new Writable(), {
    columns,
    write: (text: string) => {
      writes.push(new Promise<void>((resolve) => term.write(text.replace(/\n/g, "\r\n"), resolve)));
      return true;
    },
  });
  return {
    stream,
    async lines(): Promise<string[]> {
      await Promise.all(writes);
      const out: string[] = [];
      for (let i = 0; i < term.buffer.active.length; i++) out.push(term.buffer.active.getLine(i)!.translateToString(true));
      while (out.length > 0 && out.at(-1) === "") out.pop();
      return out;
    },
  };
}

function deployEvents(): OutputEvent[] {
  return [
    { type: "connect", host: "10.0.0.1", durationMs: 20 },
    { type: "connect", host: "10.0.0.2", durationMs: 25 },
    { type: "phase", title: "Acquiring the deploy lock" },
    { type: "command", host: "10.0.0.1", line: "mkdir -p .mrsk/app && echo '[t] Pulled' >> .mrsk/app/audit.log && docker pull registry.test/app:v2" },
    { type: "command", host: "10.0.0.2", line: "docker pull registry.test/app:v2" },
    { type: "phase", title: "Starting v2 on 10.0.0.1 (web), 10.0.0.2 (web)" },
    { type: "command", host: "10.0.0.1", line: "docker run --detach --name app-web-v2 registry.test/app:v2" },
    {
      type: "summary",
      rows: [
        { host: "10.0.0.1", role: "web", previous: "v1", version: "v2", healthyMs: 1200, result: "ok" },
        { host: "10.0.0.2", role: "web", previous: "v1", version: "v2", healthyMs: 1400, result: "ok" },
      ],
    },
    { type: "done", ok: true, durationMs: 4200 },
  ];
}

describe("the live view", () => {
  for (const columns of [80, 40]) {
    it(`leaves each host's final state, the phases and the summary on a ${columns}-column screen`, async () => {
      const term = screen(columns);
      let clock = 0;
      const renderer = new LiveRenderer(term.stream, term.stream, plain, () => (clock += 100));
      for (const event of deployEvents()) renderer.render(event, event.type !== "command" && event.type !== "connect");
      renderer.close();
      const lines = await term.lines();
      expect(lines.filter((l) => l.startsWith("* Acquiring the deploy lock"))).toHaveLength(1);
      for (const host of ["10.0.0.1", "10.0.0.2"]) {
        const final = lines.filter((l) => l.startsWith(`✔ ${host}`));
        expect(final, lines.join("\n")).toHaveLength(1);
        expect(final[0]).toMatch(/ done$/);
      }
      // No spinner frame or half-drawn host line is left behind.
      expect(lines.join("\n")).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
      expect(lines.filter((l) => l.includes("docker pull"))).toEqual([]);
      expect(lines.every((l) => l.length <= columns)).toBe(true);
      const summary = lines.slice(lines.findIndex((l) => l.startsWith("✔ 10.0.0.2")) + 1);
      if (columns === 80) {
        expect(summary[0]).toMatch(/^host\s+role\s+version\s+healthy\s+result$/);
        expect(summary[1]).toMatch(/^10\.0\.0\.1\s+web\s+v1 → v2\s+1\.20s\s+ok$/);
      } else {
        expect(summary[0]).toBe("10.0.0.1 web: v1 → v2, 1.20s, ok");
      }
      expect(lines.at(-1)).toBe("Finished all in 4.20s");
    });
  }

  it("shows a failed host with its error and keeps the error below the hosts' lines", async () => {
    const term = screen(80);
    const renderer = new LiveRenderer(term.stream, term.stream, plain, () => 0);
    renderer.render({ type: "connect", host: "10.0.0.1", durationMs: 1 }, false);
    renderer.render({ type: "connect", host: "10.0.0.2", durationMs: 1 }, false);
    renderer.render({ type: "error", host: "10.0.0.2", message: "Command failed on 10.0.0.2 with exit code 1: docker pull x\n    denied" }, true);
    renderer.close();
    const lines = await term.lines();
    expect(lines[0]).toMatch(/^– 10\.0\.0\.1\s+0\.00s connected$/);
    expect(lines[1]).toMatch(/^✖ 10\.0\.0\.2\s+0\.00s Command failed on 10\.0\.0\.2 with exit code 1: docker pull x$/);
    expect(lines.slice(2)).toEqual(["[10.0.0.2] ERROR Command failed on 10.0.0.2 with exit code 1: docker pull x", "    denied"]);
  });

  it("stops redrawing once closed, so a prompt or an interactive session owns the terminal", async () => {
    let writes = 0;
    const stream = Object.assign(new Writable(), { columns: 80, write: () => ((writes += 1), true) });
    const renderer = new LiveRenderer(stream, stream, plain);
    renderer.render({ type: "connect", host: "10.0.0.1", durationMs: 1 }, false);
    renderer.close();
    const afterClose = writes;
    await new Promise((resolve) => setTimeout(resolve, 350));
    renderer.render({ type: "command", host: "10.0.0.1", line: "docker exec -it app sh" }, false);
    expect(writes).toBe(afterClose);
  });

  it("draws nothing for commands that reach no host", async () => {
    const term = screen(80);
    const renderer = new LiveRenderer(term.stream, term.stream, plain, () => 0);
    renderer.render({ type: "result", text: "service: app" }, true);
    renderer.close();
    expect(await term.lines()).toEqual(["service: app"]);
  });
});

describe("describeCommand", () => {
  it("keeps the part of a command line that does the work", () => {
    expect(describeCommand("mkdir -p .mrsk/app && echo '[t] x' >> .mrsk/app/audit.log && docker pull app:v2")).toBe("docker pull app:v2");
    expect(describeCommand("test -e .mrsk/lock-app/owner.T && touch .mrsk/lock-app/heartbeat")).toBe("touch .mrsk/lock-app/heartbeat");
    expect(describeCommand("curl -fsS http://x/up")).toBe("curl -fsS http://x/up");
  });
});

describe("summaryTable", () => {
  it("marks the first boot (no previous version) and a rolled back row", () => {
    const table = summaryTable(
      [
        { host: "h1", role: "web", version: "v1", healthyMs: 900, result: "ok" },
        { host: "h2", role: "jobs", previous: "v0", version: "v1", result: "rolled back" },
      ],
      80,
      plain,
    );
    expect(table.split("\n")).toEqual(["host  role  version  healthy  result", "h1    web   v1       0.90s    ok", "h2    jobs  v0 → v1           rolled back"]);
  });
});
