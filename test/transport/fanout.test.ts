import { describe, expect, it } from "vitest";
import { ConnectionError, MrskError, MultiHostError, RemoteCommandError } from "../../src/errors.js";
import { onHosts, onHostsSettled } from "../../src/transport/fanout.js";
import type { HostSession, Transport } from "../../src/transport/types.js";

/** Sessions that do nothing; hosts listed in `unreachable` cannot be connected to. */
function fakeTransport(unreachable: string[] = []): Transport {
  return {
    kind: "dry-run",
    session: async (host) => {
      if (unreachable.includes(host)) throw new ConnectionError(host, "connection refused");
      return { host } as HostSession;
    },
    close: async () => {},
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("onHosts", () => {
  it("returns the results in host order, whatever order they finish in", async () => {
    const delays: Record<string, number> = { a: 30, b: 0, c: 15 };
    const results = await onHosts(fakeTransport(), ["a", "b", "c"], async (s) => {
      await sleep(delays[s.host]!);
      return s.host.toUpperCase();
    });
    expect(results).toEqual(["A", "B", "C"]);
  });

  it("lets every host finish, then throws every failure at once", async () => {
    const finished: string[] = [];
    const failure = onHosts(fakeTransport(["c"]), ["a", "b", "c", "d"], async (s) => {
      if (s.host === "a") throw new RemoteCommandError({ host: "a", command: "docker run", exitCode: 125, stderr: "boom", stdout: "" });
      await sleep(20);
      finished.push(s.host);
      return s.host;
    });
    const error = (await failure.catch((e: unknown) => e)) as MultiHostError;
    expect(error).toBeInstanceOf(MultiHostError);
    expect(error.errors.map((e) => (e as { host?: string }).host)).toEqual(["a", "c"]);
    expect(error.errors[1]).toBeInstanceOf(ConnectionError);
    expect(finished.sort()).toEqual(["b", "d"]);
    expect(error.message).toContain("Failures on 2 hosts");
  });

  it("puts the host in front of errors that do not name it", async () => {
    const error = (await onHosts(fakeTransport(), ["web1"], async () => {
      throw new MrskError("health check failed", { hint: "look at the app logs" });
    }).catch((e: unknown) => e)) as MultiHostError;
    expect(error.errors[0]!.message).toBe("web1: health check failed");
    expect((error.errors[0] as MrskError).hint).toBe("look at the app logs");
    expect(error.message).toBe("web1: health check failed");
  });

  it("keeps at most `limit` hosts working at the same time", async () => {
    let running = 0;
    let peak = 0;
    const hosts = ["a", "b", "c", "d", "e", "f"];
    await onHosts(
      fakeTransport(),
      hosts,
      async () => {
        peak = Math.max(peak, ++running);
        await sleep(10);
        running--;
      },
      { limit: 2 },
    );
    expect(peak).toBe(2);
  });

  it("runs every host at once without a limit", async () => {
    let running = 0;
    let peak = 0;
    await onHosts(fakeTransport(), ["a", "b", "c", "d"], async () => {
      peak = Math.max(peak, ++running);
      await sleep(10);
      running--;
    });
    expect(peak).toBe(4);
  });
});

describe("onHostsSettled", () => {
  it("reports each host's value or error by name", async () => {
    const outcomes = await onHostsSettled(fakeTransport(["db"]), ["web", "db"], async (s) => `${s.host} is up`);
    expect(outcomes[0]).toEqual({ host: "web", ok: true, value: "web is up" });
    expect(outcomes[1]).toMatchObject({ host: "db", ok: false });
    expect(outcomes[1]!.ok === false && outcomes[1]!.error.message).toBe("Could not connect to db: connection refused");
  });

  it("turns thrown non-errors into errors", async () => {
    const [outcome] = await onHostsSettled(fakeTransport(), ["web"], async () => {
      throw "plain string";
    });
    expect(outcome).toMatchObject({ ok: false, error: new Error("plain string") });
  });
});
