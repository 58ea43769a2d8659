// From deploy.yml's `ssh:` section and the environment to the transport's settings.
import { describe, expect, it } from "vitest";
import { sshSettings } from "../../src/cli/context.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

const env = { HOME: "/home/me", SSH_AUTH_SOCK: "/run/agent" };

function settingsFor(ssh: string, extraEnv: Record<string, string> = {}) {
  return sshSettings(configFrom(`${MRSK_MINIMAL}${ssh}`, { env: MRSK_SECRETS }), { ...env, ...extraEnv }, "/work/app");
}

describe("sshSettings", () => {
  it("leaves user, port, keys_only, host key policy and known_hosts to the OpenSSH config files when deploy.yml and the environment set none", () => {
    expect(settingsFor("")).toMatchObject({
      user: undefined,
      port: undefined,
      keysOnly: undefined,
      hostKeyPolicy: undefined,
      knownHostsFiles: undefined,
      configFiles: [
        { path: "/home/me/.ssh/config", optional: true },
        { path: "/etc/ssh_config", optional: true },
        { path: "/etc/ssh/ssh_config", optional: true },
      ],
    });
  });

  it("passes what deploy.yml and the environment set, which then win over the files", () => {
    const settings = settingsFor("ssh:\n  user: app\n  port: 2222\n  keys_only: false\n  keys: [~/.ssh/deploy]\n", {
      MRSK_SSH_HOST_KEY_POLICY: "strict",
      MRSK_KNOWN_HOSTS: "/a:/b",
    });
    expect(settings).toMatchObject({ user: "app", port: 2222, keysOnly: false, keys: ["/home/me/.ssh/deploy"], hostKeyPolicy: "strict", knownHostsFiles: ["/a", "/b"] });
  });

  it("reads the files ssh.config names (which must exist; relative to the project), or none with false", () => {
    expect(settingsFor("ssh:\n  config: ~/.ssh/work\n").configFiles).toEqual([{ path: "/home/me/.ssh/work", optional: false }]);
    expect(settingsFor("ssh:\n  config: [/etc/a, b]\n").configFiles).toEqual([
      { path: "/etc/a", optional: false },
      { path: "/work/app/b", optional: false },
    ]);
    expect(settingsFor("ssh:\n  config: false\n").configFiles).toEqual([]);
  });
});
