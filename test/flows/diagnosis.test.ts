import { describe, expect, it } from "vitest";
import { describeState, formatDiagnosis, parseDiagnosis, stateHint } from "../../src/flows/diagnosis.js";
import { describeProbe } from "../../src/flows/proxy/caddy.js";

// What `docker inspect --format '{{json .State}} {{.RestartCount}}' NAME ; docker logs --tail 30 NAME 2>&1`
// prints, turned into the lines of a failed boot's error.

const state = (fields: Record<string, unknown>, restarts = 0, logs = "line 1\nline 2\n"): string => `${JSON.stringify(fields)} ${restarts}\n${logs}`;

describe("boot diagnosis", () => {
  it("reads a crash-looping container: restarting, its last exit code, the restart count, and a hint", () => {
    const d = parseDiagnosis(state({ Status: "restarting", ExitCode: 1, OOMKilled: false, Error: "" }, 3));
    expect(describeState(d)).toBe("restarting, last exit code 1, restarted 3 times");
    expect(stateHint(d)).toBe("the container exits after it starts (exit code 1): its log lines above say why");
    expect(formatDiagnosis(d)).toBe("  State: restarting, last exit code 1, restarted 3 times\n  Last 2 log lines:\n    line 1\n    line 2");
  });

  it("does not show Docker's reset exit code for a container running again after a restart", () => {
    const d = parseDiagnosis(state({ Status: "running", ExitCode: 0, OOMKilled: false, Error: "" }, 1));
    expect(describeState(d)).toBe("running, restarted 1 time");
    expect(stateHint(d)).toBe("the container exits after it starts: its log lines above say why");
  });

  it("names an OOM kill, a missing command and Docker's own error", () => {
    expect(stateHint(parseDiagnosis(state({ Status: "exited", ExitCode: 137, OOMKilled: true })))).toMatch(/^the container ran out of memory/);
    const missing = parseDiagnosis(state({ Status: "exited", ExitCode: 127, Error: 'exec: "bin/web": not found' }));
    expect(describeState(missing)).toBe('exited with code 127, error: exec: "bin/web": not found');
    expect(stateHint(missing)).toMatch(/^exit code 127: the container's command was not found/);
  });

  it("says so when the container is gone, without quoting Docker's errors as log lines", () => {
    const d = parseDiagnosis("Error response from daemon: No such container: app-web-999\n");
    expect(describeState(d)).toBe("gone (removed, or never created)");
    expect(formatDiagnosis(d)).toBe("  State: gone (removed, or never created)\n  Log: (empty)");
    expect(stateHint(d)).toBeUndefined();
  });

  it("lists Docker's health checks with their time, exit code and output on one line each", () => {
    const d = parseDiagnosis(
      state({ Status: "running", ExitCode: 0, Health: { Status: "unhealthy", FailingStreak: 2, Log: [{ Start: "2026-12-08T01:02:03.4Z", ExitCode: 1, Output: "curl: (7)\nFailed to connect\n" }] } }, 0, ""),
    );
    expect(formatDiagnosis(d)).toBe(
      "  State: running, health unhealthy after 2 failed checks in a row\n  Health checks (Docker runs them in the container):\n    01:02:03 exit 1: curl: (7) Failed to connect\n  Log: (empty)",
    );
  });

  it("describes a probe of a container without an address (not running at that moment)", () => {
    expect(describeProbe(3, "", "curl: (3) URL using bad/illegal format or missing URL")).toBe("no address (not running)");
  });
});
