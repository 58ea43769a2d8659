import { describe, expect, it } from "vitest";
import { Config } from "../../src/config/model.js";
import { Secrets } from "../../src/config/secrets.js";
import { matches } from "../../src/glob.js";
import { select } from "../../src/config/selection.js";

const config = Config.build(
  {
    service: "app",
    image: "app",
    registry: { username: "u", password: "p" },
    servers: { web: ["w1", "w2"], workers: ["j1", "w2"] },
    accessories: { db: { image: "db", host: "d1" } },
  },
  {
    era: "mrsk",
    destination: undefined,
    secrets: new Secrets(new Map(), [], true),
    fileOf: () => "config/deploy.yml",
    version: () => "1",
    files: [],
    toolVersion: "0",
  },
);

describe("host and role selection", () => {
  it("selects every host, primary role first, when nothing is filtered", () => {
    const s = select(config, {});
    expect(s.hosts).toEqual(["w1", "w2", "j1", "d1"]);
    expect(s.primaryHost).toBe("w1");
    expect(s.roles.map((r) => r.name)).toEqual(["web", "workers"]);
    expect(s.filtered).toBe(false);
  });

  it("narrows to the hosts of the given roles", () => {
    const s = select(config, { roles: "workers" });
    expect(s.hosts).toEqual(["w2", "j1"]);
    expect(s.primaryHost).toBe("j1");
  });

  it("intersects hosts and roles, with wildcards", () => {
    expect(select(config, { hosts: "w*" }).hosts).toEqual(["w1", "w2"]);
    expect(select(config, { hosts: "w*", roles: "workers" }).hosts).toEqual(["w2"]);
    expect(select(config, { hosts: "w2" }).roles.map((r) => r.name)).toEqual(["web", "workers"]);
  });

  it("keeps only the primary host with --primary", () => {
    expect(select(config, { primary: true }).hosts).toEqual(["w1"]);
    expect(select(config, { roles: "workers", primary: true }).hosts).toEqual(["j1"]);
  });

  it("fails with the known names when a filter matches nothing", () => {
    expect(() => select(config, { roles: "nope" })).toThrow(/No role matches --roles nope/);
    expect(() => select(config, { hosts: "x*" })).toThrow(/No host matches --hosts x\*/);
    expect(() => select(config, { hosts: "d1", roles: "web" })).toThrow(/select no host/);
  });

  it("matches * and ? like a shell", () => {
    expect(matches("web-*", "web-1")).toBe(true);
    expect(matches("web-?", "web-10")).toBe(false);
    expect(matches("a.b", "axb")).toBe(false);
  });
});

describe("filters that name nothing", () => {
  it.each([
    [{ hosts: "" }, /--hosts "" names no host/],
    [{ hosts: ",,," }, /--hosts ",,," names no host/],
    [{ hosts: "  " }, /--hosts "  " names no host/],
    [{ roles: " , " }, /--roles " , " names no role/],
    [{ roles: "" }, /--roles "" names no role/],
    [{ hosts: "w1", roles: "," }, /--roles "," names no role/],
  ])("refuses %o instead of selecting every host", (filters, message) => {
    expect(() => select(config, filters)).toThrow(message);
  });

  it("still ignores empty items next to a real one", () => {
    expect(select(config, { hosts: ",w2," }).hosts).toEqual(["w2"]);
  });
});
