import { afterEach, describe, expect, it, vi } from "vitest";
import { cmd, toShell, type Cmd } from "../../src/commands/shell.js";
import { ConnectionError, MrskError } from "../../src/errors.js";
import { currentPerformer } from "../../src/flows/identity.js";
import { LockHeldError, type LockState } from "../../src/flows/lock.js";
import { heartbeatIntervalMs, LockLostError, withLock, WorkAndReleaseError } from "../../src/flows/with-lock.js";
import type { DryRunTransport } from "../../src/transport/dry-run.js";
import type { HostSession, RunOptions, Transport } from "../../src/transport/types.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { TestFlowContext } from "../support/flow-context.js";

// The deploy lock around a piece of work on the primary host (1.1.1.1), recorded by the dry-run
// transport; a held lock is an `mkdir` that fails while the status command prints the host's
// clock, the lock's files with their times (the fake host clock) and the holder's details.

const PRIMARY = "1.1.1.1";
const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
const LOCK = "mkdir -p .mrsk && mkdir .mrsk/lock-app && echo DETAILS > .mrsk/lock-app/details && touch .mrsk/lock-app/heartbeat .mrsk/lock-app/owner.TOKEN .mrsk/lock-app/ttl.300";
const STATUS = "stat .mrsk/lock-app >/dev/null 2>&1 && date +%s && cd .mrsk/lock-app && ( stat -c '%Y %n' * 2>/dev/null ; cat details | base64 -d ; true )";
const UNLOCK = "test -e .mrsk/lock-app/owner.TOKEN && rm -rf .mrsk/lock-app";
const RENEW = "test -e .mrsk/lock-app/owner.TOKEN && touch .mrsk/lock-app/heartbeat";
const WORK = "docker ps";
const HELD = "Locked by: Jane Doe at 2026-11-22T10:00:00Z\nVersion: 998\nMessage: Automatic deploy lock\nHost: jane@laptop\n";
const TAKEOVER =
  "mv .mrsk/lock-app/owner.0123456789abcdef .mrsk/lock-app/owner.TOKEN && ( cd .mrsk/lock-app && rm -f ttl.* ) && touch .mrsk/lock-app/heartbeat .mrsk/lock-app/ttl.300 && echo DETAILS > .mrsk/lock-app/details" +
  " && mkdir -p .mrsk/app && echo '[TIME] [USER] Took over the expired deploy lock held by Jane Doe (since 2026-11-22T10:00:00Z, version 998, Automatic deploy lock, last heartbeat 5m 1s ago, ttl 300s)' >> .mrsk/app/audit.log";

const isTake = (line: string): boolean => line.startsWith("mkdir -p .mrsk && mkdir .mrsk/lock-app ");
const isStatus = (line: string): boolean => line === STATUS;
const isTakeover = (line: string): boolean => line.startsWith("mv .mrsk/lock-app/owner.");

/** What the status command prints for a lock taken at `started` and renewed at `heartbeat` (host clock), read at `now`. */
function statusOutput(now: number, started: number, heartbeat?: number, details = HELD, ttl = 300): string {
  const files = heartbeat === undefined ? [`${started} details`] : [`${started} details`, `${heartbeat} heartbeat`, `${started} owner.0123456789abcdef`, `${started} ttl.${ttl}`];
  return `${now}\n${files.join("\n")}\n${details}`;
}

const HOST_NOW = 1_800_000_000;

function context(loaded = config): TestFlowContext {
  const ctx = new TestFlowContext(loaded, { dryRun: false });
  ctx.env.USER = "deployer";
  return ctx;
}

const transportOf = (ctx: TestFlowContext): DryRunTransport => ctx.transportImpl as DryRunTransport;
const normalize = (line: string): string =>
  line
    .replace(/ echo [A-Za-z0-9+/=]{40,} > /, " echo DETAILS > ")
    .replace(/owner\.(?!0123456789abcdef)[0-9a-f]{16}/g, "owner.TOKEN")
    .replace(/\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[[^\]]+\]/g, "[TIME] [USER]");
const lines = (ctx: TestFlowContext): string[] => ctx.commands(PRIMARY).map(normalize);

/** Makes the lock look held by a live lease (heartbeat 10 s ago on the host's clock) until `holdLock(ctx, false)`. */
function holdLock(ctx: TestFlowContext, held: boolean): void {
  transportOf(ctx).answer(PRIMARY, isTake, "", held ? 1 : 0);
  transportOf(ctx).answer(PRIMARY, isStatus, held ? statusOutput(HOST_NOW, HOST_NOW - 60, HOST_NOW - 10) : "", held ? 0 : 1);
}

async function runWork(ctx: TestFlowContext): Promise<string> {
  await (await (await ctx.transport()).session(PRIMARY)).run(cmd("docker", "ps"));
  return "done";
}

const infos = (ctx: TestFlowContext) => ctx.events.filter((e) => e.type === "info");
const warnings = (ctx: TestFlowContext) => ctx.events.flatMap((e) => (e.type === "warn" ? [e.message] : []));

afterEach(() => {
  vi.useRealTimers();
});

describe("withLock", () => {
  it("takes the lock on the primary host before the work, releases it after, and returns the work's value", async () => {
    const ctx = context();
    await expect(withLock(ctx, config, { version: "999" }, () => runWork(ctx))).resolves.toBe("done");
    expect(lines(ctx)).toEqual([LOCK, WORK, UNLOCK]);
    expect(ctx.commands("1.1.1.2")).toEqual([]);
    expect(ctx.events.flatMap((e) => (e.type === "phase" ? [e.title] : []))).toEqual(["Acquiring the deploy lock", "Releasing the deploy lock"]);
  });

  it("writes who holds the lock, for which version and why, base64-encoded in the details file", async () => {
    const ctx = context();
    await withLock(ctx, config, { version: "999", message: "Deploying 999" }, async () => undefined);
    const encoded = /echo (\S+) > \.mrsk\/lock-app\/details /.exec(ctx.commands(PRIMARY)[0]!)![1]!;
    const performer = currentPerformer(ctx.env, ctx.cwd);
    expect(Buffer.from(encoded, "base64").toString("utf8")).toMatch(
      new RegExp(`^Locked by: ${escape(performer.name)} at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\nVersion: 999\nMessage: Deploying 999\nHost: ${escape(performer.login)}\n$`),
    );
  });

  it("names its lease after a random token and the configured ttl", async () => {
    const short = configFrom(`${MRSK_MINIMAL}\nlock:\n  ttl: 45\n`, { env: MRSK_SECRETS });
    const ctx = context(short);
    await withLock(ctx, short, { version: "999" }, async () => undefined);
    const [take, release] = ctx.commands(PRIMARY);
    const token = /owner\.([0-9a-f]{16}) /.exec(take!)![1]!;
    expect(take).toMatch(new RegExp(`&& touch \\.mrsk/lock-app/heartbeat \\.mrsk/lock-app/owner\\.${token} \\.mrsk/lock-app/ttl\\.45$`));
    expect(release).toBe(`test -e .mrsk/lock-app/owner.${token} && rm -rf .mrsk/lock-app`);
  });

  it("releases the lock when the work throws, and rethrows the work's error", async () => {
    const ctx = context();
    const failure = new Error("boot failed");
    const work = async (): Promise<never> => {
      await runWork(ctx);
      throw failure;
    };
    await expect(withLock(ctx, config, { version: "999" }, work)).rejects.toBe(failure);
    expect(lines(ctx)).toEqual([LOCK, WORK, UNLOCK]);
  });

  it("fails at once with LockHeldError carrying the holder's details when the lock is held, without running the work or removing the lock", async () => {
    const ctx = context();
    holdLock(ctx, true);
    let ran = false;
    const error = await withLock(ctx, config, { version: "999" }, async () => (ran = true)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect(error).toMatchObject({ host: PRIMARY, details: HELD });
    expect((error as LockHeldError).message).toBe(
      "Deploy lock found on 1.1.1.1, held for 1m 0s:\n    Locked by: Jane Doe at 2026-11-22T10:00:00Z\n    Version: 998\n    Message: Automatic deploy lock\n    Host: jane@laptop\n" +
        "    Last heartbeat: 10s ago\n    Expires: in 4m 50s without a heartbeat (ttl 300s)",
    );
    expect(ran).toBe(false);
    expect(lines(ctx)).toEqual([LOCK, STATUS]);
  });

  it("with waitSeconds, waits for a held lock, says so once, and proceeds when it frees", async () => {
    const ctx = context();
    holdLock(ctx, true);
    setTimeout(() => holdLock(ctx, false), 150);
    const started = Date.now();
    await expect(withLock(ctx, config, { version: "999", waitSeconds: 5, pollSeconds: 0.02 }, () => runWork(ctx))).resolves.toBe("done");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(infos(ctx)).toEqual([
      { type: "info", host: PRIMARY, message: `The deploy lock is held; waiting up to 5s for it:\n${HELD.trimEnd()}` },
    ]);
    const seq = lines(ctx);
    // Tried several times while held (each failure read the holder), then took it.
    expect(seq.filter((l) => l === LOCK).length).toBeGreaterThan(2);
    expect(seq.slice(0, 2)).toEqual([LOCK, STATUS]);
    expect(seq.slice(-3)).toEqual([LOCK, WORK, UNLOCK]);
    expect(new Set(seq.slice(0, -3))).toEqual(new Set([LOCK, STATUS]));
  });

  it("with waitSeconds, gives up with LockHeldError once that time has passed", async () => {
    const ctx = context();
    holdLock(ctx, true);
    let ran = false;
    const started = Date.now();
    const error = await withLock(ctx, config, { version: "999", waitSeconds: 0.2, pollSeconds: 0.05 }, async () => (ran = true)).catch((e: unknown) => e);
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(LockHeldError);
    expect(error).toMatchObject({ host: PRIMARY, details: HELD });
    expect(waited).toBeGreaterThanOrEqual(195);
    expect(waited).toBeLessThan(5000);
    expect(ran).toBe(false);
    expect(infos(ctx)).toHaveLength(1);
    expect(lines(ctx)).not.toContain(UNLOCK);
  });

  it("tries again at once when the holder released the lock between the failed mkdir and the read", async () => {
    const ctx = context();
    let takes = 0;
    transportOf(ctx).answer(PRIMARY, (l) => isTake(l) && ++takes === 1, "", 1);
    transportOf(ctx).answer(PRIMARY, isStatus, "", 1);
    await expect(withLock(ctx, config, { version: "999" }, () => runWork(ctx))).resolves.toBe("done");
    expect(lines(ctx)).toEqual([LOCK, STATUS, LOCK, WORK, UNLOCK]);
  });

  it("does not wait when the lock cannot be taken although nobody holds it, and says why", async () => {
    const ctx = context();
    transportOf(ctx).answer(PRIMARY, isTake, "", 1);
    transportOf(ctx).answer(PRIMARY, isStatus, "", 1);
    const started = Date.now();
    await expect(withLock(ctx, config, { version: "999", waitSeconds: 60 }, async () => "ran")).rejects.toMatchObject({
      name: "MrskError",
      message: "Could not take the deploy lock on 1.1.1.1: exit code 1",
      hint: "check that .mrsk/lock-app can be created in the SSH user's home",
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(infos(ctx)).toEqual([]);
    expect(lines(ctx)).toEqual([LOCK, STATUS, LOCK, STATUS, LOCK, STATUS, LOCK, STATUS, LOCK, STATUS]);
  });

  it("rejects with the abort signal's reason when interrupted while waiting, without removing the lock", async () => {
    const ctx = context();
    holdLock(ctx, true);
    const interrupt = new AbortController();
    const reason = new Error("Interrupted by SIGINT");
    setTimeout(() => interrupt.abort(reason), 50);
    const started = Date.now();
    const pending = withLock(ctx, config, { version: "999", waitSeconds: 60, pollSeconds: 30, signal: interrupt.signal }, async () => "ran");
    await expect(pending).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(lines(ctx)).toEqual([LOCK, STATUS]);
  });
});

describe("lease expiry and takeover (on the host's clock)", () => {
  const expired = (ctx: TestFlowContext, heartbeatAge = 301): void => {
    transportOf(ctx).answer(PRIMARY, isTake, "", 1);
    transportOf(ctx).answer(PRIMARY, isStatus, statusOutput(HOST_NOW, HOST_NOW - 900, HOST_NOW - heartbeatAge));
  };

  it("takes over a lease whose heartbeat is older than its ttl, atomically by renaming the owner file, audited, then cleans up and works", async () => {
    const ctx = context();
    expired(ctx);
    const seen: LockState[] = [];
    await expect(withLock(ctx, config, { version: "999", onTakeover: async (previous) => void seen.push(previous) }, () => runWork(ctx))).resolves.toBe("done");
    expect(lines(ctx)).toEqual([LOCK, STATUS, TAKEOVER, WORK, UNLOCK]);
    expect(seen).toEqual([{ details: HELD, hostNow: HOST_NOW, startedAt: HOST_NOW - 900, lease: { owner: "0123456789abcdef", ttlSeconds: 300, heartbeatAt: HOST_NOW - 301 } }]);
    expect(warnings(ctx)).toEqual([
      "Took over the expired deploy lock held by Jane Doe (since 2026-11-22T10:00:00Z, version 998, Automatic deploy lock, last heartbeat 5m 1s ago, ttl 300s); cleaning up after it",
    ]);
  });

  it("does not take over a lease renewed within its ttl, however old it is", async () => {
    const ctx = context();
    expired(ctx, 300);
    const error = await withLock(ctx, config, { version: "999" }, async () => "ran").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as Error).message).toMatch(/held for 15m 0s:[\s\S]*Last heartbeat: 5m 0s ago\n {4}Expires: in 0s without a heartbeat/);
    expect(lines(ctx)).toEqual([LOCK, STATUS]);
  });

  it("decides by the host's clock alone: a laptop clock a day ahead does not expire a live lease", async () => {
    vi.useFakeTimers({ now: new Date("2026-11-23T10:00:00Z"), toFake: ["Date"] });
    const ctx = context();
    holdLock(ctx, true);
    await expect(withLock(ctx, config, { version: "999" }, async () => "ran")).rejects.toBeInstanceOf(LockHeldError);
    expect(lines(ctx)).toEqual([LOCK, STATUS]);
  });

  it("never expires a lock without a lease (taken by hand, or by MRSK), and says how to release it", async () => {
    const ctx = context();
    transportOf(ctx).answer(PRIMARY, isTake, "", 1);
    transportOf(ctx).answer(PRIMARY, isStatus, statusOutput(HOST_NOW, HOST_NOW - 86_400 * 30));
    const error = await withLock(ctx, config, { version: "999" }, async () => "ran").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as Error).message).toMatch(/held for 30d 0h:[\s\S]*Lease: none \(taken by hand or by MRSK\/Kamal: it stays until `mrsk lock release`\)$/);
    expect((error as MrskError).hint).toMatch(/mrsk lock release/);
  });

  it("when another deploy took it over first (the rename fails), reads the lock again and reports the new holder", async () => {
    const ctx = context();
    const transport = transportOf(ctx);
    transport.answer(PRIMARY, isTake, "", 1);
    transport.answer(PRIMARY, isStatus, statusOutput(HOST_NOW, HOST_NOW - 900, HOST_NOW - 400));
    const fresh = statusOutput(HOST_NOW, HOST_NOW, HOST_NOW, HELD.replace("Jane Doe", "Other CI"));
    // The other deploy renamed the owner file first: from now on the lock is its, freshly renewed.
    transport.answer(PRIMARY, (l) => isTakeover(l) && (transport.answer(PRIMARY, isStatus, fresh), true), "", 1);
    const error = await withLock(ctx, config, { version: "999" }, async () => "ran").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).details).toMatch(/^Locked by: Other CI/);
    expect(lines(ctx)).toEqual([LOCK, STATUS, TAKEOVER.replace("last heartbeat 5m 1s", "last heartbeat 6m 40s"), LOCK, STATUS]);
  });

  it("with waitSeconds, takes over the lock once its lease expires", async () => {
    const ctx = context();
    holdLock(ctx, true);
    setTimeout(() => expired(ctx), 100);
    await expect(withLock(ctx, config, { version: "999", waitSeconds: 5, pollSeconds: 0.02 }, () => runWork(ctx))).resolves.toBe("done");
    expect(lines(ctx).slice(-4)).toEqual([STATUS, TAKEOVER, WORK, UNLOCK]);
  });
});

describe("the heartbeat", () => {
  it("renews well within the ttl and at least every 30 s", () => {
    expect(heartbeatIntervalMs(300)).toBe(30_000);
    expect(heartbeatIntervalMs(60)).toBe(20_000);
    expect(heartbeatIntervalMs(3)).toBe(1_000);
  });

  it("renews the lease while the work runs, and stops before the release", async () => {
    const short = configFrom(`${MRSK_MINIMAL}\nlock:\n  ttl: 1\n`, { env: MRSK_SECRETS });
    const ctx = context(short);
    // The work lasts until two renewals happened, however slow the machine.
    await withLock(ctx, short, { version: "999" }, () => until(() => lines(ctx).filter((l) => l === RENEW).length >= 2));
    const seq = lines(ctx);
    expect(seq[0]).toBe(LOCK.replace("ttl.300", "ttl.1"));
    expect(seq.at(-1)).toBe(UNLOCK);
    expect(seq.slice(1, -1).length).toBeGreaterThanOrEqual(2);
    expect(new Set(seq.slice(1, -1))).toEqual(new Set([RENEW]));
  });

  it("stops the work (it rolls back, as on Ctrl-C) and stops renewing when the lease is no longer this run's", async () => {
    const short = configFrom(`${MRSK_MINIMAL}\nlock:\n  ttl: 1\n`, { env: MRSK_SECRETS });
    const ctx = context(short);
    transportOf(ctx).answer(PRIMARY, (l) => l.startsWith("test -e .mrsk/lock-app/owner.") && l.includes("touch"), "", 1);
    transportOf(ctx).answer(PRIMARY, (l) => l.startsWith("test -e .mrsk/lock-app/owner.") && l.includes("rm -rf"), "", 1);
    transportOf(ctx).answer(PRIMARY, isStatus, statusOutput(HOST_NOW, HOST_NOW, HOST_NOW, HELD.replace("Jane Doe", "Other CI")));
    // The work runs until the flow's signal stops it, as a boot does.
    const error = await withLock(ctx, short, { version: "999" }, async () => {
      await until(() => ctx.signal.aborted);
      throw ctx.signal.reason;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as LockLostError).host).toBe(PRIMARY);
    expect(lines(ctx).filter((l) => l === RENEW)).toHaveLength(1);
    expect(warnings(ctx)).toEqual([
      "Lost the deploy lock: it was released or taken over by another deploy while this one ran",
      "The deploy lock is no longer this deploy's: its heartbeat lapsed and another deploy took it over; left as it is",
    ]);
  });
});

/** Each command of the primary host runs on the dry-run transport, except the release, which loses the connection. */
class ReleaseFails implements Transport {
  readonly kind = "dry-run";
  constructor(private readonly inner: DryRunTransport) {}
  async session(host: string): Promise<HostSession> {
    const session = await this.inner.session(host);
    return {
      ...session,
      run: async (c: Cmd, options?: RunOptions) => {
        if (/ && rm -rf \.mrsk\/lock-app$/.test(toShell(c))) throw new ConnectionError(host, "connection lost");
        return session.run(c, options);
      },
    };
  }
  async close(): Promise<void> {}
}

describe("errors that hide errors", () => {
  it("when the work fails and the release fails too, reports both, the work's error (and its hint) first", async () => {
    const ctx = new TestFlowContext(config, { dryRun: false });
    ctx.env.USER = "deployer";
    const failing = new TestFlowContext(config, { dryRun: false, transport: new ReleaseFails(ctx.transportImpl as DryRunTransport) });
    const boot = new MrskError("app-web-999 on 1.1.1.1 did not become healthy (exited)\n  Last log lines:\n    boom", { hint: "its log lines above say why" });
    const error = await withLock(failing, config, { version: "999" }, async () => {
      throw boot;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkAndReleaseError);
    expect((error as WorkAndReleaseError).workError).toBe(boot);
    expect((error as Error).message).toBe(
      "app-web-999 on 1.1.1.1 did not become healthy (exited)\n  Last log lines:\n    boom\nReleasing the deploy lock failed too: Could not connect to 1.1.1.1: connection lost",
    );
    expect((error as MrskError).hint).toBe("its log lines above say why; then run `mrsk lock release` once the host answers");
  });

  it("when only the release fails, reports the release's error", async () => {
    const ctx = new TestFlowContext(config, { dryRun: false });
    const failing = new TestFlowContext(config, { dryRun: false, transport: new ReleaseFails(ctx.transportImpl as DryRunTransport) });
    await expect(withLock(failing, config, { version: "999" }, async () => "done")).rejects.toBeInstanceOf(ConnectionError);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Resolves once `done()` holds, checking every 10 ms; fails after 10 s so a broken heartbeat cannot hang the suite. */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 10_000) throw new Error("gave up waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
