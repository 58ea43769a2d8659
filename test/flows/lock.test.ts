import { describe, expect, it } from "vitest";
import type { ContainerRow } from "../../src/commands/app.js";
import { describeAge, describeLease, describeTakeover, isExpired, lockDetails, lockedAt, LockHeldError, parseLockState, secondsToExpiry } from "../../src/flows/lock.js";
import { planCleanup } from "../../src/flows/takeover.js";
import { releaseLockByHand, showLock } from "../../src/flows/lock-commands.js";
import type { DryRunTransport } from "../../src/transport/dry-run.js";
import { TestFlowContext } from "../support/flow-context.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

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

describe("lock state, read on the host's clock", () => {
  const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
  const details = "Locked by: Jane Doe at 2026-11-22T10:00:00Z\nVersion: 998\nMessage: Automatic deploy lock\nHost: jane@laptop\nCI run: https://ci/runs/7\n";
  const status = (lines: string[]): string => `1000\n${lines.join("\n")}\n${details}`;

  it("parses the host's time, the lease files' times and the details", () => {
    const state = parseLockState(
      status(["900 details", "990 heartbeat", "900 owner.0123456789abcdef", "900 ttl.60"]),
    );
    expect(state).toEqual({ details, hostNow: 1000, startedAt: 900, lease: { owner: "0123456789abcdef", ttlSeconds: 60, heartbeatAt: 990 } });
    expect(secondsToExpiry(state)).toBe(50);
    expect(isExpired(state)).toBe(false);
    expect(describeLease(state)).toEqual(["Held for: 1m 40s", "Last heartbeat: 10s ago", "Expires: in 50s without a heartbeat (ttl 60s)"]);
  });

  it("expires a lease once its heartbeat is older than its ttl, and only then", () => {
    const at = (heartbeat: number) => parseLockState(status([`${heartbeat} heartbeat`, "900 owner.ab", "900 ttl.60", "900 details"]));
    expect(isExpired(at(940))).toBe(false);
    expect(isExpired(at(939))).toBe(true);
    expect(describeLease(at(900))).toContain("Expired: 40s ago (ttl 60s); the next deploy takes it over");
  });

  it("has no lease without its owner, ttl and heartbeat files (a lock taken by hand or by MRSK)", () => {
    const state = parseLockState(status(["900 details"]));
    expect(state.lease).toBeUndefined();
    expect(isExpired(state)).toBe(false);
    expect(parseLockState(`1000\n${details}`)).toMatchObject({ startedAt: undefined, lease: undefined, details });
  });

  it("describes a takeover with who held it, since when, for which version and why", () => {
    const state = parseLockState(status(["990 heartbeat", "900 owner.ab", "900 ttl.5", "900 details"]));
    expect(describeTakeover(state)).toBe(
      "Took over the expired deploy lock held by Jane Doe (since 2026-11-22T10:00:00Z, version 998, Automatic deploy lock, https://ci/runs/7, last heartbeat 10s ago, ttl 5s)",
    );
  });
});

describe("cleaning up after a dead deploy", () => {
  const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
  const web = config.primaryRole;
  const row = (name: string, state: string): ContainerRow => ({ name, state, role: "web", image: "", createdAt: "" });

  it("removes the dead version's containers where it never became latest, and starts the serving one again if it was stopped", () => {
    const rows = [row("app-web-998_replaced_0123456789abcdef", "running"), row("app-web-998", "running"), row("app-web-997", "exited"), row("app-web-996", "exited")];
    expect(planCleanup([web], "998", ["997"], rows)).toEqual({
      remove: ["app-web-998_replaced_0123456789abcdef", "app-web-998"],
      restart: [{ role: web, name: "app-web-997" }],
      route: [{ role: web, serving: "app-web-997", dead: "app-web-998_replaced_0123456789abcdef" }],
    });
  });

  it("leaves a running serving container running, and points traffic back at it", () => {
    expect(planCleanup([web], "998", ["997"], [row("app-web-998", "running"), row("app-web-997", "running")])).toEqual({
      remove: ["app-web-998"],
      restart: [],
      route: [{ role: web, serving: "app-web-997", dead: "app-web-998" }],
    });
  });

  it("changes nothing where the dead version is already the latest (it had finished booting there)", () => {
    expect(planCleanup([web], "998", ["998"], [row("app-web-998", "running"), row("app-web-997", "exited")])).toEqual({ remove: [], restart: [], route: [] });
  });

  it("only removes, when no version was ever fully booted", () => {
    expect(planCleanup([web], "998", [], [row("app-web-998", "restarting")])).toEqual({ remove: ["app-web-998"], restart: [], route: [] });
  });
});

describe("lock status", () => {
  const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
  const STATUS = "stat .mrsk/lock-app >/dev/null 2>&1 && date +%s && cd .mrsk/lock-app && ( stat -c '%Y %n' * 2>/dev/null ; cat details | base64 -d ; true )";
  const details = "Locked by: Jane Doe at 2026-11-22T10:00:00Z\nVersion: 998\nMessage: Automatic deploy lock\nHost: jane@laptop\n";
  const held = `1000\n900 details\n990 heartbeat\n900 owner.ab\n900 ttl.60\n${details}`;

  function context(hosts?: string): TestFlowContext {
    const ctx = new TestFlowContext(config, { dryRun: false });
    if (hosts !== undefined) Object.assign(ctx.options, { hosts });
    return ctx;
  }

  it("shows holder, CI run, version, message, age, last heartbeat and expiry, as text and as fields", async () => {
    const ctx = context();
    (ctx.transportImpl as DryRunTransport).answer("1.1.1.1", (l) => l === STATUS, held);
    await showLock(ctx);
    expect(ctx.commands("1.1.1.1")).toEqual([STATUS]);
    expect(ctx.events.filter((e) => e.type === "result")).toEqual([
      {
        type: "result",
        host: "1.1.1.1",
        text: `${details}CI run: none\nHeld for: 1m 40s\nLast heartbeat: 10s ago\nExpires: in 50s without a heartbeat (ttl 60s)`,
        data: {
          locked: true,
          holder: "Jane Doe",
          since: "2026-11-22T10:00:00Z",
          version: "998",
          message: "Automatic deploy lock",
          ciRun: null,
          heldForSeconds: 100,
          lease: { ttlSeconds: 60, lastHeartbeatSecondsAgo: 10, expiresInSeconds: 50, expired: false },
        },
      },
    ]);
  });

  it("with -h, asks each host named, even one no longer in the configuration, and releases there", async () => {
    const ctx = context("9.9.9.9, 1.1.1.2");
    (ctx.transportImpl as DryRunTransport).answer("9.9.9.9", (l) => l === STATUS, held);
    (ctx.transportImpl as DryRunTransport).answer("1.1.1.2", (l) => l === STATUS, "", 1);
    await showLock(ctx);
    await releaseLockByHand(ctx);
    expect(ctx.commands("9.9.9.9")).toEqual([STATUS, STATUS, "rm -rf .mrsk/lock-app"]);
    expect(ctx.commands("1.1.1.2")).toEqual([STATUS, STATUS]);
    expect(ctx.commands("1.1.1.1")).toEqual([]);
    expect(ctx.events.filter((e) => e.type === "result").map((e) => (e as { host: string }).host)).toEqual(["9.9.9.9", "1.1.1.2"]);
  });

  it("refuses an -h that names no host", async () => {
    await expect(showLock(context(" , "))).rejects.toThrow('--hosts " , " names no host');
  });
});
