import { describe, expect, it } from "vitest";
import { useFakeClis } from "./helpers.js";

// Shapes from Kamal's test/secrets/bitwarden_adapter_test.rb and bitwarden_secrets_manager_adapter_test.rb.
const status = (value: string) =>
  JSON.stringify({ serverUrl: null, lastSync: "2024-09-04T10:11:12.433Z", userEmail: "email@example.com", userId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", status: value });
const item = (name: string, extra: Record<string, unknown>) =>
  JSON.stringify({ passwordHistory: null, object: "item", id: "aaaaaaaa-cccc-eeee-0000-222222222222", organizationId: null, folderId: null, type: 1, reprompt: 0, name, notes: null, favorite: false, collectionIds: [], ...extra });
const login = (password: string | null) => ({ login: { fido2Credentials: [], uris: [], username: null, password, totp: null, passwordRevisionDate: null } });
const fields = (pairs: Record<string, string>) => ({ fields: Object.entries(pairs).map(([name, value]) => ({ name, value, type: 1, linkedId: null })) });

describe("bitwarden adapter (bw)", () => {
  const t = useFakeClis();
  const installed = { argv: ["--version"], stdout: "2024.9.0\n" };
  const unlocked = { argv: ["status"], stdout: status("unlocked") };
  const sync = { argv: ["sync"], stdout: "Syncing complete.\n" };

  it("reads a login's password, and named custom fields, one `bw get item` per item", () => {
    t.fakes.install("bw", [
      installed,
      unlocked,
      sync,
      { argv: ["get", "item", "mypassword"], stdout: item("mypassword", login("secret123")) },
      { argv: ["get", "item", "myitem"], stdout: item("myitem", { ...login(null), ...fields({ field1: "secret1", field2: "blam", field3: "fewgrwjgk", field4: "auto" }) }) },
      { argv: ["get", "item", "myitem2"], stdout: item("myitem2", { ...login(null), ...fields({ field3: "fewgrwjgk" }) }) },
    ]);
    expect(t.fetch("bitwarden", ["mypassword", "myitem/field1", "myitem/field2", "myitem2/field3"], { account: "email@example.com" })).toEqual({
      mypassword: "secret123",
      "myitem/field1": "secret1",
      "myitem/field2": "blam",
      "myitem2/field3": "fewgrwjgk",
    });
  });

  it("with --from ITEM reads the named fields; an item without a password gives all its fields", () => {
    t.fakes.install("bw", [
      installed,
      unlocked,
      sync,
      { argv: ["get", "item", "myitem"], stdout: item("myitem", { ...login(null), ...fields({ field1: "secret1", field2: "blam" }) }) },
    ]);
    expect(t.fetch("bitwarden", ["field1", "field2"], { account: "email@example.com", from: "myitem" })).toEqual({ "myitem/field1": "secret1", "myitem/field2": "blam" });

    t.fakes.install("bw", [installed, unlocked, sync, { argv: ["get", "item", "mynotefields"], stdout: item("noteitem", { type: 2, secureNote: { type: 0 }, ...fields({ field1: "secret1", field4: "auto" }) }) }]);
    expect(t.fetch("bitwarden", ["mynotefields"], { account: "email@example.com" })).toEqual({ "mynotefields/field1": "secret1", "mynotefields/field4": "auto" });
  });

  it("refuses a note without fields", () => {
    t.fakes.install("bw", [installed, unlocked, sync, { argv: ["get", "item", "mynote"], stdout: item("noteitem", { type: 2, notes: "NOTES", secureNote: { type: 0 } }) }]);
    expect(t.fetchError("bitwarden", ["mynote"], { account: "email@example.com" }).message).toBe("Item mynote is not a login type item and no fields were specified");
  });

  it("logs in and unlocks when it can ask, then hands the session to every call as BW_SESSION", () => {
    t.fakes.install("bw", [
      installed,
      { argv: ["status"], stdout: status("unauthenticated") },
      { argv: ["login", "email@example.com"], stdout: "You are logged in!\n" },
      { argv: ["status"], stdout: status("locked") },
      { argv: ["unlock", "--raw"], stdout: "0987654321" },
      { argv: ["status"], stdout: status("unlocked"), env: { BW_SESSION: "0987654321" } },
      { argv: ["sync"], env: { BW_SESSION: "0987654321" } },
      { argv: ["get", "item", "mypassword"], stdout: item("mypassword", login("secret123")), env: { BW_SESSION: "0987654321" } },
    ]);
    expect(t.fetch("bitwarden", ["mypassword"], { account: "email@example.com", interactive: true })).toEqual({ mypassword: "secret123" });
  });

  it("an unlock that gives no session keeps the caller's environment", () => {
    t.fakes.install("bw", [
      installed,
      { argv: ["status"], stdout: status("locked") },
      { argv: ["unlock", "--raw"], stdout: "" },
      { argv: ["status"], stdout: status("unlocked"), env: { BW_SESSION: null } },
      { argv: ["sync"], env: { BW_SESSION: null } },
      { argv: ["get", "item", "mypassword"], stdout: item("mypassword", login("secret123")) },
    ]);
    expect(t.fetch("bitwarden", ["mypassword"], { account: "email@example.com", interactive: true })).toEqual({ mypassword: "secret123" });
  });

  it("without a terminal, stops when logged out or locked, naming the commands to run", () => {
    t.fakes.install("bw", [installed, { argv: ["status"], stdout: status("unauthenticated") }]);
    const loggedOut = t.fetchError("bitwarden", ["x"], { account: "email@example.com" });
    expect(loggedOut.message).toBe("Bitwarden CLI (bw) is not logged in");
    expect(loggedOut.hint).toContain("bw login email@example.com");

    t.fakes.install("bw", [installed, { argv: ["status"], stdout: status("locked") }]);
    expect(t.fetchError("bitwarden", ["x"], { account: "email@example.com" }).hint).toContain("export BW_SESSION=$(bw unlock --raw)");
  });

  it("fails when still locked after unlocking", () => {
    t.fakes.install("bw", [installed, { argv: ["status"], stdout: status("locked") }, { argv: ["unlock", "--raw"], status: 1 }, { argv: ["status"], stdout: status("locked") }]);
    expect(t.fetchError("bitwarden", ["x"], { account: "e", interactive: true }).message).toBe("Failed to login to and unlock Bitwarden");
  });

  it("names the missing CLI", () => {
    expect(t.fetchError("bitwarden", ["x"], { account: "e" }).message).toBe("Bitwarden CLI is not installed: `bw --version` did not run");
  });
});

describe("bitwarden-sm adapter (bws)", () => {
  const t = useFakeClis();
  const installed = { argv: ["--version"], stdout: "bws 1.0.0\n" };
  const authenticated = { argv: ["project", "list"], stdout: "[]" };
  const list = JSON.stringify([
    { key: "KAMAL_REGISTRY_PASSWORD", value: "some_password" },
    { key: "MY_OTHER_SECRET", value: 'my=wierd"secret' },
  ]);

  it("`all` lists every secret, `PROJECT/all` (or --from PROJECT all) a project's", () => {
    t.fakes.install("bws", [installed, authenticated, { argv: ["secret", "list"], stdout: list }]);
    expect(t.fetch("bitwarden-sm", ["all"])).toEqual({ KAMAL_REGISTRY_PASSWORD: "some_password", MY_OTHER_SECRET: 'my=wierd"secret' });

    t.fakes.install("bws", [installed, authenticated, { argv: ["secret", "list", "82aeb5bd-6958-4a89-8197-eacab758acce"], stdout: list }]);
    expect(t.fetch("bitwarden-sm", ["all"], { from: "82aeb5bd-6958-4a89-8197-eacab758acce" })).toEqual({ KAMAL_REGISTRY_PASSWORD: "some_password", MY_OTHER_SECRET: 'my=wierd"secret' });
  });

  it("reads secret ids one by one, keyed by each secret's key", () => {
    t.fakes.install("bws", [
      installed,
      authenticated,
      { argv: ["secret", "get", "82aeb5bd-6958-4a89-8197-eacab758acce"], stdout: JSON.stringify({ key: "KAMAL_REGISTRY_PASSWORD", value: "some_password" }) },
      { argv: ["secret", "get", "6f8cdf27-de2b-4c77-a35d-07df8050e332"], stdout: JSON.stringify({ key: "SSH_PRIVATE_KEY", value: "some_key\nwith_linebreak" }) },
    ]);
    expect(t.fetch("bitwarden-sm", ["82aeb5bd-6958-4a89-8197-eacab758acce", "6f8cdf27-de2b-4c77-a35d-07df8050e332"])).toEqual({
      KAMAL_REGISTRY_PASSWORD: "some_password",
      SSH_PRIVATE_KEY: "some_key\nwith_linebreak",
    });
  });

  it("reports a bad access token, nothing asked for, and failed reads", () => {
    t.fakes.install("bws", [installed, { argv: ["project", "list"], status: 1 }]);
    const token = t.fetchError("bitwarden-sm", ["all"]);
    expect(token.message).toBe("Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?");
    expect(token.hint).toContain("BWS_ACCESS_TOKEN");

    t.fakes.install("bws", [installed, authenticated]);
    expect(t.fetchError("bitwarden-sm", []).message).toBe("You must specify what to retrieve from Bitwarden Secrets Manager");

    t.fakes.install("bws", [installed, authenticated, { argv: ["secret", "list"], status: 1, stdout: "Error:\n0: Received error message from server" }]);
    expect(t.fetchError("bitwarden-sm", ["all"]).message).toBe("Could not read secrets from Bitwarden Secrets Manager");

    t.fakes.install("bws", [installed, authenticated, { argv: ["secret", "get", "82aeb5bd"], status: 1 }]);
    expect(t.fetchError("bitwarden-sm", ["82aeb5bd"]).message).toBe("Could not read 82aeb5bd from Bitwarden Secrets Manager");
  });

  it("names the missing CLI", () => {
    expect(t.fetchError("bitwarden-sm", ["all"]).message).toBe("Bitwarden Secrets Manager CLI is not installed: `bws --version` did not run");
  });
});
