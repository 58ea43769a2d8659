import { describe, expect, it } from "vitest";
import { toShell } from "../../src/commands/shell.js";
import { writeStdinToFile } from "../../src/commands/files.js";
import { remotePath } from "../../src/transport/ssh-upload.js";

describe("writeStdinToFile", () => {
  it("truncates under a private umask, sets the mode, then writes stdin", () => {
    expect(toShell(writeStdinToFile(".mrsk/env/roles/web.env", 0o600))).toBe(
      "umask 077 && : > .mrsk/env/roles/web.env && chmod 0600 .mrsk/env/roles/web.env && cat > .mrsk/env/roles/web.env",
    );
  });

  it("quotes awkward paths through the one quoting function", () => {
    expect(toShell(writeStdinToFile("it's here", 0o644))).toBe("umask 077 && : > 'it'\\''s here' && chmod 0644 'it'\\''s here' && cat > 'it'\\''s here'");
  });
});

describe("remotePath", () => {
  it("reads ~/ as the login directory, which is where relative paths start", () => {
    expect(remotePath("~/.mrsk/app.env")).toBe(".mrsk/app.env");
    expect(remotePath("/etc/app.env")).toBe("/etc/app.env");
    expect(remotePath("relative/file")).toBe("relative/file");
  });
});
