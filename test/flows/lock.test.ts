import { describe, expect, it } from "vitest";
import { describeAge, lockDetails, lockedAt, LockHeldError } from "../../src/flows/lock.js";

const performer = { name: "Jane Doe", login: "jane@laptop", ciRunUrl: undefined };

describe("lock details", () => {
  it("say who, when, which version and why, in MRSK's first three lines", () => {
    const details = lockDetails({ performer, version: "abc123", message: "Automatic deploy lock", now: new Date("2026-11-22T10:00:00.123Z") });
    expect(details).toBe("Locked by: Jane Doe at 2026-11-22T10:00:00Z\nVersion: abc123\nMessage: Automatic deploy lock\nHost: jane@laptop\n");
    expect(lockedAt(details)).toEqual(new Date("2026-11-22T10:00:00Z"));
  });

  it("name the CI run when there is one", () => {
    const details = lockDetails({ performer: { ...performer, ciRunUrl: "https://github.com/o/r/actions/runs/7" }, version: "1", message: "m" });
    expect(details).toContain("CI run: https://github.com/o/r/actions/runs/7\n");
  });

  it("give a held lock's age in the error", () => {
    const details = lockDetails({ performer, version: "1", message: "m", now: new Date(Date.now() - 125_000) });
    const error = new LockHeldError("1.1.1.1", details);
    expect(error.message).toMatch(/^Deploy lock found on 1\.1\.1\.1, held for 2m [56]s:\n    Locked by: Jane Doe/);
    expect(error.hint).toMatch(/mrsk lock release/);
  });

  it("describe ages in the largest sensible units", () => {
    const now = new Date("2026-01-02T00:00:00Z");
    expect(describeAge(new Date("2026-01-01T23:59:30Z"), now)).toBe("30s");
    expect(describeAge(new Date("2026-01-01T21:30:00Z"), now)).toBe("2h 30m");
    expect(describeAge(new Date("2025-12-30T00:00:00Z"), now)).toBe("3d 0h");
  });
});
