import { describe, expect, it } from "vitest";
import { envFileContent, escapeEnvFileValue, mergeEnv, parseSecretRef, readEnv } from "../../src/config/env.js";

describe("env", () => {
  it("reads a flat map as clear values", () => {
    expect(readEnv({ A: "1", B: "two" })).toEqual({ clear: { A: "1", B: "two" }, secrets: [] });
  });

  it("reads clear and secret, with NAME:SECRET aliases", () => {
    expect(readEnv({ clear: { A: "1" }, secret: ["KEY", "DB_PASSWORD:MAIN_DB_PASSWORD"] })).toEqual({
      clear: { A: "1" },
      secrets: [
        { name: "KEY", secret: "KEY" },
        { name: "DB_PASSWORD", secret: "MAIN_DB_PASSWORD" },
      ],
    });
    expect(parseSecretRef("A:B")).toEqual({ name: "A", secret: "B" });
  });

  it("merges clear key by key and joins secret lists, a secret name taking over a clear one", () => {
    const merged = mergeEnv(readEnv({ clear: { A: "root", B: "root" }, secret: ["S1"] }), readEnv({ clear: { B: "role", S2: "x" }, secret: ["S2"] }));
    expect(merged.clear).toEqual({ A: "root", B: "role" });
    expect(merged.secrets.map((s) => s.name)).toEqual(["S1", "S2"]);
  });

  it("escapes env file values as Kamal does, so multi-line values survive Docker's format", () => {
    expect(escapeEnvFileValue('quote " hash # back\\slash')).toBe('quote " hash # back\\\\slash');
    expect(escapeEnvFileValue("a\nb\tc\x01")).toBe("a\\nb\\tc\\x01");
    expect(escapeEnvFileValue("ünïcödé ✓")).toBe("ünïcödé ✓");
    expect(envFileContent([["A", "1"], ["B", "x y"]])).toBe("A=1\nB=x y\n");
    expect(envFileContent([])).toBe("\n");
  });
});
