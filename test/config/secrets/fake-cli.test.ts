import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeClis } from "../../support/fake-cli.js";

// The fake vendor CLIs the adapter tests rely on must fail loudly on any call they were not told of.

describe("FakeClis", () => {
  let fakes: FakeClis;
  beforeEach(() => {
    fakes = new FakeClis();
  });
  afterEach(() => fakes.remove());
  const call = (args: string[], env: Record<string, string> = {}) => spawnSync(join(fakes.dir, "vault"), args, { env, encoding: "utf8" });

  it("answers the expected calls in order with their output and status", () => {
    fakes.install("vault", [{ argv: ["get", "a b"], stdout: "one" }, { argv: ["x"], status: 3, env: { TOKEN: "t", OTHER: null } }]);
    expect(call(["get", "a b"])).toMatchObject({ status: 0, stdout: "one" });
    expect(call(["x"], { TOKEN: "t" }).status).toBe(3);
    expect(() => fakes.verify()).not.toThrow();
  });

  it("fails a call with other arguments", () => {
    fakes.install("vault", [{ argv: ["get", "a b"] }]);
    expect(call(["get", "a", "b"]).status).toBe(99);
    expect(() => fakes.verify()).toThrow(/vault call 1: get ⎵ a ⎵ b/);
  });

  it("fails a call with another environment", () => {
    fakes.install("vault", [{ argv: ["x"], env: { TOKEN: "t" } }]);
    expect(call(["x"], { TOKEN: "wrong" }).status).toBe(99);
    expect(() => fakes.verify()).toThrow(/TOKEN=wrong/);
  });

  it("fails calls beyond the expected ones, and expected calls that never came", () => {
    fakes.install("vault", [{ argv: ["once"] }]);
    expect(call(["once"]).status).toBe(0);
    expect(call(["once"]).status).toBe(99);
    expect(() => fakes.verify()).toThrow(/vault call 2: once/);

    const unused = new FakeClis();
    unused.install("vault", [{ argv: ["never"] }]);
    expect(() => unused.verify()).toThrow("fake vault expected 1 call(s), got 0");
    unused.remove();
  });
});
