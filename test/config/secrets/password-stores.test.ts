import { describe, expect, it } from "vitest";
import { useFakeClis } from "./helpers.js";

// Shapes from Kamal's last_pass_adapter_test.rb, enpass_adapter_test.rb and passbolt_adapter_test.rb.
const lpassEntry = (fullname: string, password: string) => ({
  id: "1234567891234567891",
  name: fullname.split("/").pop(),
  fullname,
  username: "",
  password,
  last_modified_gmt: "1724926054",
  last_touch: "1724926639",
  group: fullname.includes("/") ? "Folder" : "",
  url: "",
  note: "",
});

describe("lastpass adapter (lpass)", () => {
  const t = useFakeClis();
  const installed = { argv: ["--version"], stdout: "LastPass CLI v1.6.0\n" };
  const loggedIn = { argv: ["status", "--color", "never"], stdout: "Logged in as email@example.com.\n" };

  it("reads every name in one `lpass show … --json`, keyed by fullname; --from is a folder", () => {
    t.fakes.install("lpass", [
      installed,
      loggedIn,
      { argv: ["show", "SECRET1", "FOLDER1/FSECRET1", "FOLDER1/FSECRET2", "--json"], stdout: JSON.stringify([lpassEntry("SECRET1", "secret1"), lpassEntry("FOLDER1/FSECRET1", "fsecret1"), lpassEntry("FOLDER1/FSECRET2", "fsecret2")]) },
    ]);
    expect(t.fetch("lastpass", ["SECRET1", "FOLDER1/FSECRET1", "FOLDER1/FSECRET2"], { account: "email@example.com" })).toEqual({
      SECRET1: "secret1",
      "FOLDER1/FSECRET1": "fsecret1",
      "FOLDER1/FSECRET2": "fsecret2",
    });

    t.fakes.install("lpass", [installed, loggedIn, { argv: ["show", "FOLDER1/FSECRET1", "--json"], stdout: JSON.stringify([lpassEntry("FOLDER1/FSECRET1", "fsecret1")]) }]);
    expect(t.fetch("lastpass", ["FSECRET1"], { account: "email@example.com", from: "FOLDER1" })).toEqual({ "FOLDER1/FSECRET1": "fsecret1" });
  });

  it("logs in as --account when it can ask; otherwise says what to run", () => {
    t.fakes.install("lpass", [
      installed,
      { argv: ["status", "--color", "never"], status: 1, stdout: "Not logged in.\n" },
      { argv: ["login", "email@example.com"] },
      { argv: ["show", "SECRET1", "--json"], stdout: JSON.stringify([lpassEntry("SECRET1", "secret1")]) },
    ]);
    expect(t.fetch("lastpass", ["SECRET1"], { account: "email@example.com", interactive: true })).toEqual({ SECRET1: "secret1" });

    t.fakes.install("lpass", [installed, { argv: ["status", "--color", "never"], stdout: "Logged in as someone@else.com.\n" }]);
    const error = t.fetchError("lastpass", ["SECRET1"], { account: "email@example.com" });
    expect(error.message).toBe("LastPass CLI (lpass) is not logged in as email@example.com");
    expect(error.hint).toContain("lpass login email@example.com");
  });

  it("reports names LastPass did not return, and names the missing CLI", () => {
    t.fakes.install("lpass", [installed, loggedIn, { argv: ["show", "A", "B", "--json"], stdout: JSON.stringify([lpassEntry("A", "a-value")]) }]);
    expect(t.fetchError("lastpass", ["A", "B"], { account: "email@example.com" }).message).toBe("Could not find B in LastPass");
  });

  it("names the missing CLI", () => {
    expect(t.fetchError("lastpass", ["SECRET1"], { account: "email@example.com" }).message).toBe("LastPass CLI is not installed: `lpass --version` did not run");
  });
});

describe("enpass adapter (enpass-cli)", () => {
  const t = useFakeClis();
  const installed = { argv: ["version"], stdout: "enpass-cli 1.6.0\n" };
  const entry = (title: string, label: string, password: string) => ({ category: "computer", label, login: "", password, title, type: "password" });

  it("shows each item once; TITLE/LABEL picks one password, TITLE takes them all", () => {
    t.fakes.install("enpass-cli", [
      installed,
      {
        argv: ["-json", "-vault", "vault-path", "show", "FooBar"],
        stdout: JSON.stringify([entry("FooBar", "SECRET_1", "my-password-1"), entry("FooBar", "SECRET_2", "my-password-2"), entry("Hello", "SECRET_3", "my-password-1")]),
      },
    ]);
    expect(t.fetch("enpass", ["FooBar/SECRET_1", "FooBar/SECRET_2"], { from: "vault-path" })).toEqual({ "FooBar/SECRET_1": "my-password-1", "FooBar/SECRET_2": "my-password-2" });

    t.fakes.install("enpass-cli", [
      installed,
      {
        argv: ["-json", "-vault", "vault-path", "show", "FooBar"],
        stdout: JSON.stringify([entry("FooBar", "SECRET_1", "my-password-1"), entry("FooBar", "SECRET_2", "my-password-2"), entry("Hello", "SECRET_3", "x"), entry("FooBar", "", "my-password-3")]),
      },
    ]);
    expect(t.fetch("enpass", ["FooBar"], { from: "vault-path" })).toEqual({ "FooBar/SECRET_1": "my-password-1", "FooBar/SECRET_2": "my-password-2", FooBar: "my-password-3" });
  });

  it("needs --from (the vault), refuses duplicate labels, and names the missing CLI", () => {
    t.fakes.install("enpass-cli", [installed]);
    expect(t.fetchError("enpass", ["FooBar"]).message).toBe("The enpass adapter needs --from VAULT_PATH");

    t.fakes.install("enpass-cli", [installed, { argv: ["-json", "-vault", "v", "show", "FooBar"], stdout: JSON.stringify([entry("FooBar", "A", "1"), entry("FooBar", "A", "2")]) }]);
    expect(t.fetchError("enpass", ["FooBar"], { from: "v" }).message).toBe("FooBar/A is present more than once");
  });

  it("names the missing CLI", () => {
    expect(t.fetchError("enpass", ["FooBar"], { from: "v" }).message).toBe("Enpass CLI is not installed: `enpass-cli version` did not run");
  });
});

describe("passbolt adapter", () => {
  const t = useFakeClis();
  const installed = { argv: ["--version"], stdout: "passbolt 0.3.2\n" };
  const verified = { argv: ["verify"], stdout: "Verification successful\n" };
  const resource = (name: string, password: string, folder = "") => ({
    id: `${name}-id`,
    folder_parent_id: folder,
    name,
    username: "",
    uri: "",
    password,
    description: "",
    created_timestamp: "2025-02-21T06:04:29Z",
    modified_timestamp: "2025-02-21T06:04:29Z",
  });
  const folder = (id: string, name: string, parent = "") => ({ id, folder_parent_id: parent, name, created_timestamp: "2025-02-21T19:52:50Z", modified_timestamp: "2025-02-21T19:52:50Z" });
  const projectId = "dcbe0e39-42d8-42db-9637-8256b9f2f8e3";
  const subId = "6a3f21fc-aa40-4ba9-852c-7477fdd0310d";
  const otherId = "14e11dd8-b279-4689-8bd9-fa33ebb527da";

  it("filters root-level resources by name", () => {
    t.fakes.install("passbolt", [
      installed,
      verified,
      {
        argv: ["list", "resources", "--filter", 'Name == "SECRET1" || Name == "FSECRET1"', "--column", "name", "--column", "password", "--json"],
        stdout: JSON.stringify([resource("FSECRET1", "fsecret1"), resource("SECRET1", "secret1")]),
      },
    ]);
    expect(t.fetch("passbolt", ["SECRET1", "FSECRET1"])).toEqual({ FSECRET1: "fsecret1", SECRET1: "secret1" });
  });

  it("finds folders (from --from or the names), then filters by name and folder", () => {
    t.fakes.install("passbolt", [
      installed,
      verified,
      { argv: ["list", "folders", "--filter", 'Name == "my-project" || Name == "other-project"', "--json"], stdout: JSON.stringify([folder(projectId, "my-project"), folder(otherId, "other-project")]) },
      {
        argv: [
          "list",
          "resources",
          "--filter",
          `(Name == "SECRET1" && FolderParentID == "${projectId}") || (Name == "FSECRET2" && FolderParentID == "${otherId}")`,
          "--folder",
          projectId,
          "--folder",
          otherId,
          "--column",
          "name",
          "--column",
          "password",
          "--json",
        ],
        stdout: JSON.stringify([resource("FSECRET2", "fsecret2", otherId), resource("SECRET1", "secret1", projectId)]),
      },
    ]);
    expect(t.fetch("passbolt", ["my-project/SECRET1", "other-project/FSECRET2"])).toEqual({ FSECRET2: "fsecret2", SECRET1: "secret1" });
  });

  it("walks nested folders level by level", () => {
    t.fakes.install("passbolt", [
      installed,
      verified,
      { argv: ["list", "folders", "--filter", 'Name == "my-project"', "--json"], stdout: JSON.stringify([folder(projectId, "my-project")]) },
      { argv: ["list", "folders", "--filter", `Name == "subfolder" && FolderParentID == "${projectId}"`, "--json"], stdout: JSON.stringify([folder(subId, "subfolder", projectId)]) },
      {
        argv: ["list", "resources", "--filter", `(Name == "SECRET1" && FolderParentID == "${subId}")`, "--folder", projectId, "--folder", subId, "--column", "name", "--column", "password", "--json"],
        stdout: JSON.stringify([resource("SECRET1", "secret1", subId)]),
      },
    ]);
    expect(t.fetch("passbolt", ["SECRET1"], { from: "my-project/subfolder" })).toEqual({ SECRET1: "secret1" });
  });

  it("quotes names for Passbolt's filter (where Kamal's shell-escaping doubles a backslash)", () => {
    t.fakes.install("passbolt", [
      installed,
      verified,
      { argv: ["list", "resources", "--filter", 'Name == "db password" || Name == "say \\"hi\\""', "--column", "name", "--column", "password", "--json"], stdout: JSON.stringify([resource("db password", "x1"), resource('say "hi"', "x2")]) },
    ]);
    expect(t.fetch("passbolt", ["db password", 'say "hi"'])).toEqual({ "db password": "x1", 'say "hi"': "x2" });
  });

  it("reports missing folders and secrets, and a failed verify", () => {
    t.fakes.install("passbolt", [installed, verified, { argv: ["list", "folders", "--filter", 'Name == "nope"', "--json"], stdout: "[]" }]);
    expect(t.fetchError("passbolt", ["nope/SECRET1"]).message).toBe("Could not find the following folders in Passbolt: nope");

    t.fakes.install("passbolt", [installed, verified, { argv: ["list", "resources", "--filter", 'Name == "A" || Name == "B"', "--column", "name", "--column", "password", "--json"], stdout: JSON.stringify([resource("A", "a")]) }]);
    expect(t.fetchError("passbolt", ["A", "B"]).message).toBe("Could not find the following secrets in Passbolt: B");

    t.fakes.install("passbolt", [installed, { argv: ["verify"], status: 1 }]);
    const error = t.fetchError("passbolt", ["A"]);
    expect(error.message).toBe("Failed to login to Passbolt");
    expect(error.hint).toContain("passbolt configure");
  });

  it("names the missing CLI", () => {
    expect(t.fetchError("passbolt", ["HOST", "PORT"]).message).toBe("Passbolt CLI is not installed: `passbolt --version` did not run");
  });
});
