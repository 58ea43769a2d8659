import { describe, expect, it } from "vitest";
import { deepMerge, provenance } from "../../src/config/merge.js";

describe("destination overlay merge", () => {
  it("merges mappings recursively and replaces lists and scalars", () => {
    const base = { service: "a", env: { clear: { A: "1", B: "1" }, secret: ["X", "Y"] }, servers: { web: ["1.1.1.1"] } };
    const overlay = { env: { clear: { B: "2" }, secret: ["Z"] }, servers: { web: ["2.2.2.2"], jobs: ["3.3.3.3"] } };
    expect(deepMerge(base, overlay)).toEqual({
      service: "a",
      env: { clear: { A: "1", B: "2" }, secret: ["Z"] },
      servers: { web: ["2.2.2.2"], jobs: ["3.3.3.3"] },
    });
  });

  it("lets an overlay fill a null role", () => {
    expect(deepMerge({ servers: { web: null } }, { servers: { web: ["h"] } })).toEqual({ servers: { web: ["h"] } });
  });

  it("names the file a key path came from", () => {
    const fileOf = provenance({ servers: { web: ["2.2.2.2"] }, env: { clear: { B: "2" } } }, "config/deploy.yml", "config/deploy.staging.yml");
    expect(fileOf("servers.web.hosts[0]")).toBe("config/deploy.staging.yml");
    expect(fileOf("servers.web")).toBe("config/deploy.staging.yml");
    expect(fileOf("env.clear.B")).toBe("config/deploy.staging.yml");
    expect(fileOf("env.clear.A")).toBe("config/deploy.yml");
    expect(fileOf("service")).toBe("config/deploy.yml");
    expect(provenance(undefined, "c.yml", undefined)("anything")).toBe("c.yml");
  });
});
