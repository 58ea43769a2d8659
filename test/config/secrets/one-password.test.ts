import { describe, expect, it } from "vitest";
import { useFakeClis } from "./helpers.js";

// Shapes from Kamal's test/secrets/one_password_adapter_test.rb.
const field = (section: string, label: string, value: string, reference: string) => ({
  id: "aaaaaaaaaaaaaaaaaaaaaaaaaa",
  section: { id: "cccccccccccccccccccccccccc", label: section },
  type: "CONCEALED",
  label,
  value,
  reference,
});

describe("1password adapter (op)", () => {
  const t = useFakeClis();
  const installed = { argv: ["--version"], stdout: "2.30.0\n" };
  const signedIn = { argv: ["account", "get", "--account", "myaccount"], stdout: "ID: X\n" };

  it("reads the fields of one item with one `op item get`, keyed by their references", () => {
    t.fakes.install("op", [
      installed,
      signedIn,
      {
        argv: ["item", "get", "myitem", "--vault", "myvault", "--format", "json", "--account", "myaccount", "--fields", "label=section.SECRET1,label=section.SECRET2,label=section2.SECRET3"],
        stdout: JSON.stringify([
          field("section", "SECRET1", "VALUE1", "op://myvault/myitem/section/SECRET1"),
          field("section", "SECRET2", "VALUE2", "op://myvault/myitem/section/SECRET2"),
          field("section2", "SECRET3", "VALUE3", "op://myvault/myitem/section2/SECRET3"),
        ]),
      },
    ]);
    expect(t.fetch("1password", ["section/SECRET1", "section/SECRET2", "section2/SECRET3"], { account: "myaccount", from: "op://myvault/myitem" })).toEqual({
      "myvault/myitem/section/SECRET1": "VALUE1",
      "myvault/myitem/section/SECRET2": "VALUE2",
      "myvault/myitem/section2/SECRET3": "VALUE3",
    });
  });

  it("makes one call per item; a single field comes back as an object; the password field is the default", () => {
    t.fakes.install("op", [
      installed,
      signedIn,
      {
        argv: ["item", "get", "myitem", "--vault", "myvault", "--format", "json", "--account", "myaccount", "--fields", "label=section.SECRET1,label=password"],
        stdout: JSON.stringify([
          field("section", "SECRET1", "VALUE1", "op://myvault/myitem/section/SECRET1"),
          { id: "password", type: "CONCEALED", label: "password", value: "PW", reference: "op://myvault/myitem/password" },
        ]),
      },
      {
        argv: ["item", "get", "myitem2", "--vault", "myvault", "--format", "json", "--account", "myaccount", "--fields", "label=section2.SECRET3"],
        stdout: JSON.stringify(field("section", "SECRET3", "VALUE3", "op://myvault/myitem2/section/SECRET3")),
      },
    ]);
    expect(t.fetch("1password", ["myitem/section/SECRET1", "myitem", "myitem2/section2/SECRET3"], { account: "myaccount", from: "op://myvault" })).toEqual({
      "myvault/myitem/section/SECRET1": "VALUE1",
      "myvault/myitem": "PW",
      "myvault/myitem2/section/SECRET3": "VALUE3",
    });
  });

  it("fetches every field of --from VAULT/ITEM when no names are given", () => {
    t.fakes.install("op", [
      installed,
      signedIn,
      {
        argv: ["item", "get", "myitem", "--vault", "myvault", "--format", "json", "--account", "myaccount"],
        stdout: JSON.stringify({
          id: "ucbtiii777",
          title: "A title",
          category: "LOGIN",
          fields: [field("section", "SECRET1", "VALUE1", "op://myvault/myitem/section/SECRET1"), field("section", "SECRET2", "VALUE2", "op://myvault/myitem/section/SECRET2")],
        }),
      },
    ]);
    expect(t.fetch("1password", [], { account: "myaccount", from: "op://myvault/myitem" })).toEqual({
      "myvault/myitem/section/SECRET1": "VALUE1",
      "myvault/myitem/section/SECRET2": "VALUE2",
    });
  });

  it("signs in with `op signin --account A --force --raw` when it can ask, and passes the session on", () => {
    t.fakes.install("op", [
      installed,
      { argv: ["account", "get", "--account", "myaccount"], status: 1 },
      { argv: ["signin", "--account", "myaccount", "--force", "--raw"], stdout: "1234567890\n" },
      {
        argv: ["item", "get", "myitem", "--vault", "myvault", "--format", "json", "--account", "myaccount", "--session", "1234567890", "--fields", "label=section.SECRET1"],
        stdout: JSON.stringify(field("section", "SECRET1", "VALUE1", "op://myvault/myitem/section/SECRET1")),
      },
    ]);
    expect(t.fetch("1password", ["section/SECRET1"], { account: "myaccount", from: "op://myvault/myitem", interactive: true })).toEqual({
      "myvault/myitem/section/SECRET1": "VALUE1",
    });
  });

  it("without a terminal, stops at once when not signed in, naming the command to run", () => {
    t.fakes.install("op", [installed, { argv: ["account", "get", "--account", "myaccount"], status: 1 }]);
    const error = t.fetchError("1password", ["section/SECRET1"], { account: "myaccount", from: "op://myvault/myitem" });
    expect(error.message).toBe("1Password CLI (op) is not signed in to account myaccount");
    expect(error.hint).toContain("eval $(op signin --account myaccount)");
    expect(error.hint).toContain("OP_SERVICE_ACCOUNT_TOKEN");
  });

  it("reports a failed sign-in and a failed read", () => {
    t.fakes.install("op", [installed, { argv: ["account", "get", "--account", "a"], status: 1 }, { argv: ["signin", "--account", "a", "--force", "--raw"], status: 1 }]);
    expect(t.fetchError("1password", ["v/i/f"], { account: "a", interactive: true }).message).toBe("Failed to login to 1Password");

    t.fakes.install("op", [installed, { argv: ["account", "get", "--account", "a"] }, { argv: ["item", "get", "i", "--vault", "v", "--format", "json", "--account", "a", "--fields", "label=f"], status: 1 }]);
    expect(t.fetchError("1password", ["v/i/f"], { account: "a" }).message).toBe("Could not read f from i in the v 1Password vault");
  });

  it("requires --account, and names the missing CLI", () => {
    expect(t.fetchError("1password", ["x"]).message).toBe("Missing required option '--account'");
    const error = t.fetchError("1password", ["x"], { account: "a" });
    expect(error.message).toBe("1Password CLI is not installed: `op --version` did not run");
    expect(error.hint).toContain("make sure `op` is on PATH");
  });
});
