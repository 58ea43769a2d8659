import { describe, expect, it } from "vitest";
import { cmd } from "../../src/commands/shell.js";
import { currentPerformer } from "../../src/flows/identity.js";
import { LockHeldError } from "../../src/flows/lock.js";
import { withLock } from "../../src/flows/with-lock.js";
import type { DryRunTransport } from "../../src/transport/dry-run.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { TestFlowContext } from "../support/flow-context.js";

// The deploy lock around a piece of work on the primary host (1.1.1.1), recorded by the dry-run
// transport; a held lock is an `mkdir` that fails while the status command prints the holder.

const PRIMARY = "1.1.1.1";
const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
const LOCK = "mkdir -p .mrsk && mkdir .mrsk/lock-app && echo DETAILS > .mrsk/lock-app/details";
const STATUS = "stat .mrsk/lock-app >/dev/null 2>&1 && cat .mrsk/lock-app/details | base64 -d";
const UNLOCK = "rm -rf .mrsk/lock-app";
const WORK = "docker ps";
const HELD = "Locked by: Jane Doe at 2026-11-22T10:00:00Z\nVersion: 998\nMessage: Deploying 998\nHost: jane@laptop\n";

const isTake = (line: string): boolean => line.startsWith("mkdir -p .mrsk && mkdir .mrsk/lock-app ");
const isStatus = (line: string): boolean => line === STATUS;

function context(): TestFlowContext {
  const ctx = new TestFlowContext(config, { dryRun: false });
  ctx.env.USER = "deployer";
  return ctx;
}

const transportOf = (ctx: TestFlowContext): DryRunTransport => ctx.transportImpl as DryRunTransport;
const lines = (ctx: TestFlowContext): string[] => ctx.commands(PRIMARY).map((l) => l.replace(/^(mkdir .* && echo )\S+( > )/, "$1DETAILS$2"));

/** Makes the lock look held by someone else until `holdLock(ctx, false)`. */
function holdLock(ctx: TestFlowContext, held: boolean): void {
  transportOf(ctx).answer(PRIMARY, isTake, "", held ? 1 : 0);
  transportOf(ctx).answer(PRIMARY, isStatus, held ? HELD : "", held ? 0 : 1);
}

async function runWork(ctx: TestFlowContext): Promise<string> {
  await (await (await ctx.transport()).session(PRIMARY)).run(cmd("docker", "ps"));
  return "done";
}

const infos = (ctx: TestFlowContext) => ctx.events.filter((e) => e.type === "info");

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
    const encoded = /echo (\S+) > \.mrsk\/lock-app\/details$/.exec(ctx.commands(PRIMARY)[0]!)![1]!;
    const performer = currentPerformer(ctx.env, ctx.cwd);
    expect(Buffer.from(encoded, "base64").toString("utf8")).toMatch(
      new RegExp(`^Locked by: ${escape(performer.name)} at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\nVersion: 999\nMessage: Deploying 999\nHost: ${escape(performer.login)}\n$`),
    );
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
    expect((error as LockHeldError).message).toMatch(
      /^Deploy lock found on 1\.1\.1\.1, held for \S.*:\n {4}Locked by: Jane Doe at 2026-11-22T10:00:00Z\n {4}Version: 998\n {4}Message: Deploying 998\n {4}Host: jane@laptop$/,
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
    expect(waited).toBeLessThan(1000);
    expect(ran).toBe(false);
    expect(infos(ctx)).toHaveLength(1);
    expect(lines(ctx)).not.toContain(UNLOCK);
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
    expect(Date.now() - started).toBeLessThan(1000);
    expect(infos(ctx)).toEqual([]);
    expect(lines(ctx)).toEqual([LOCK, STATUS]);
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
    expect(Date.now() - started).toBeLessThan(1000);
    expect(lines(ctx)).toEqual([LOCK, STATUS]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
