import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Cmd } from "../../src/commands/shell.js";
import { toShell } from "../../src/commands/shell.js";
import {
  bootApp,
  execApp,
  removeApp,
  showAppContainers,
  showAppDetails,
  showAppImages,
  showAppLogs,
  showAppVersion,
  showStaleContainers,
  startApp,
  stopApp,
  stopStaleContainers,
} from "../../src/flows/app-commands.js";
import type { Terminal } from "../../src/flows/exec.js";
import { DryRunTransport } from "../../src/transport/dry-run.js";
import type { HostSession, StreamOptions, Transport } from "../../src/transport/types.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { TestFlowContext } from "../support/flow-context.js";
import { audit, commandsOn, dryRunOf, LOCK, operateContext, results, UNLOCK, type HostState } from "../support/operate.js";

// Every remote command of `mrsk app …`, per host, through the dry-run transport answering the
// questions the flows ask.

const FAST = `${MRSK_MINIMAL}traefik:\n  args:\n    providers.providersThrottleDuration: 0s\n`;
const config = configFrom(FAST, { env: MRSK_SECRETS });
const withJobs = configFrom(FAST.replace("servers:\n  - 1.1.1.1\n  - 1.1.1.2\n", "servers:\n  web:\n    - 1.1.1.1\n    - 1.1.1.2\n  jobs:\n    hosts:\n      - 1.1.1.2\n    cmd: bin/jobs\n"), {
  env: MRSK_SECRETS,
});
const HOSTS = ["1.1.1.1", "1.1.1.2"];

const PS_ALL = `docker ps --all --filter label=service=app --filter label=destination= --format '{{.Names}}\t{{.State}}\t{{.Label "role"}}\t{{.Image}}\t{{.CreatedAt}}'`;
const FROM_LATEST =
  "docker ps --filter label=service=app --filter label=destination= --filter status=running --filter status=restarting --filter ancestor=dhh/app:latest --format '{{.Names}}'";
const IDS_AND_TAGS = "docker image ls dhh/app --format '{{.ID}} {{.Tag}}'";
const STOP_WEB =
  "docker ps --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting | xargs --no-run-if-empty docker stop";

/** 999 runs and is what the latest tag names; 998 stopped for a rollback. */
const deployed999: HostState = {
  containers: [
    ["app-web-999", "running", "web"],
    ["app-web-998", "exited", "web"],
  ],
  fromLatest: ["app-web-999"],
  images: [
    ["aaa", "999"],
    ["aaa", "latest"],
    ["bbb", "998"],
  ],
};
const everywhere = (state: HostState): Record<string, HostState> => ({ "1.1.1.1": state, "1.1.1.2": state });

describe("app boot", () => {
  it("boots the version the latest tag names with the fleet-safe rule, under the lock, then tags it latest again", async () => {
    const ctx = operateContext(config, everywhere(deployed999));
    for (const host of HOSTS) dryRunOf(ctx).answer(host, (l) => l.startsWith("docker inspect --format '{{.Name}}"), "/app-web-999 healthy");
    await bootApp(ctx);
    const lines = commandsOn(ctx, "1.1.1.1").map((l) => l.replace(/_replaced_[0-9a-f]{16}/g, "_replaced_HEX").replace(/--hostname (\S+)-[0-9a-f]{12}/, "--hostname $1-HEX"));
    expect(lines[0]).toBe(LOCK);
    expect(lines[1]).toBe(IDS_AND_TAGS);
    expect(lines[2]).toBe(`mkdir -p .mrsk/app/env/roles ; ${PS_ALL}`);
    expect(lines[3]).toMatch(
      new RegExp(`^umask 077 && : > \\.mrsk/app/env/roles/web\\.env && chmod 0600 \\.mrsk/app/env/roles/web\\.env && cat > \\.mrsk/app/env/roles/web\\.env && docker rename app-web-999 app-web-999_replaced_HEX && ${escape(audit("Booted app version 999", "web"))} && docker run --detach --restart unless-stopped --name app-web-999 --hostname 1\\.1\\.1\\.1-HEX .* dhh/app:999$`),
    );
    expect(lines.slice(4)).toEqual([
      "docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}} {{.RestartCount}}' app-web-999",
      "docker stop app-web-999_replaced_HEX",
      `${audit("Tagging dhh/app:999 as the latest image")} && docker tag dhh/app:999 dhh/app:latest`,
      UNLOCK,
    ]);
  });

  it("boots a version given with --version only when every host has its image", async () => {
    const ctx = operateContext(config, { "1.1.1.1": deployed999, "1.1.1.2": { ...deployed999, images: [["aaa", "999"]] } }, { version: "998" });
    await expect(bootApp(ctx)).rejects.toThrow("Version 998 is not available on 1.1.1.2; nothing was changed");
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, "docker image ls dhh/app --format '{{.Tag}}'", UNLOCK]);
  });

  it("refuses when the hosts' latest tags name different versions", async () => {
    const ctx = operateContext(config, { "1.1.1.1": deployed999, "1.1.1.2": { ...deployed999, images: [["bbb", "998"], ["bbb", "latest"]] } });
    await expect(bootApp(ctx)).rejects.toThrow("The hosts are on different versions (1.1.1.1: 999; 1.1.1.2: 998)");
    expect(commandsOn(ctx, "1.1.1.2").some((l) => l.includes("docker run"))).toBe(false);
  });

  it("refuses when no version is tagged latest, saying to deploy or pass --version", async () => {
    const ctx = operateContext(config, {});
    await expect(bootApp(ctx)).rejects.toMatchObject({ message: "No version of dhh/app is tagged latest on 1.1.1.1, 1.1.1.2", hint: "deploy first, or pass --version VERSION" });
  });
});

describe("app start and stop", () => {
  it("start the deployed version's containers, audited, under the lock", async () => {
    const ctx = operateContext(withJobs, everywhere(deployed999));
    await startApp(ctx);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([
      IDS_AND_TAGS,
      `${audit("Started app version 999", "web")} && docker start app-web-999`,
      `${audit("Started app version 999", "jobs")} && docker start app-jobs-999`,
    ]);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, IDS_AND_TAGS, `${audit("Started app version 999", "web")} && docker start app-web-999`, UNLOCK]);
  });

  it("stop every running container of each selected role", async () => {
    const ctx = operateContext(withJobs, {}, { filters: { roles: "jobs" } });
    await stopApp(ctx);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([`${audit("Stopped app", "jobs")} && ${STOP_WEB.replace("role=web", "role=jobs")}`]);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, UNLOCK]);
  });

  it("skip the lock with --skip-lock, and say so", async () => {
    const ctx = operateContext(config);
    await stopApp(ctx, { skipLock: true });
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([`${audit("Stopped app", "web")} && ${STOP_WEB}`]);
    expect(ctx.events).toContainEqual({ type: "warn", message: "Not taking the deploy lock (--skip-lock)" });
  });

  it("change nothing when a host cannot be reached, naming it", async () => {
    const ctx = operateContext(config, {}, { unreachable: ["1.1.1.2"] });
    await expect(stopApp(ctx)).rejects.toThrow("Could not connect to 1.1.1.2: connect ETIMEDOUT");
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([]);
  });
});

describe("app stale_containers", () => {
  const twoRunning: HostState = {
    containers: [
      ["app-web-1000", "running", "web"],
      ["app-web-999", "running", "web"],
      ["app-web-998", "exited", "web"],
    ],
    fromLatest: ["app-web-999"],
  };

  it("lists running containers other than the one made from the latest image", async () => {
    const ctx = operateContext(config, { "1.1.1.1": twoRunning, "1.1.1.2": { containers: [["app-web-1000", "running", "web"], ["app-web-999", "running", "web"]] } });
    await showStaleContainers(ctx);
    expect(results(ctx)).toEqual(["[1.1.1.1] app-web-1000 (web, current: app-web-999)", "[1.1.1.2] app-web-999 (web, current: app-web-1000)"]);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([PS_ALL, FROM_LATEST]);
  });

  it("stops them with --stop, under the lock", async () => {
    const ctx = operateContext(config, everywhere(twoRunning));
    await stopStaleContainers(ctx);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, PS_ALL, FROM_LATEST, `${audit("Stopped stale container app-web-1000", "web")} && docker stop app-web-1000`, UNLOCK]);
  });
});

describe("app remove", () => {
  it("says exactly what goes, asks, and removes containers, images and env files", async () => {
    const asked: string[] = [];
    const ctx = operateContext(config, everywhere(deployed999));
    await removeApp(ctx, { yes: false, prompt: async (q) => (asked.push(q), "y") });
    expect(asked).toEqual(["Are you sure? [y/N] "]);
    expect(results(ctx)[0]).toBe(
      [
        "Removing the app (web) deletes:",
        "  1.1.1.1:",
        "    containers: app-web-999, app-web-998",
        "    images no remaining container uses, of: dhh/app:999, dhh/app:latest, dhh/app:998",
        "    env files: .mrsk/app/env/roles/web.env",
        "  1.1.1.2:",
        "    containers: app-web-999, app-web-998",
        "    images no remaining container uses, of: dhh/app:999, dhh/app:latest, dhh/app:998",
        "    env files: .mrsk/app/env/roles/web.env",
      ].join("\n"),
    );
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([
      PS_ALL,
      "docker image ls dhh/app --format '{{.Repository}}:{{.Tag}}'",
      LOCK,
      `${audit("Removed all app containers", "web")} && ${STOP_WEB} && docker container prune --force --filter label=service=app --filter label=destination= --filter label=role=web`,
      `${audit("Removed all app images")} && docker image prune --all --force --filter label=service=app`,
      PS_ALL,
      "rm -rf .mrsk/app/env/roles/web.env",
      UNLOCK,
    ]);
  });

  it("removes nothing when not confirmed, or when there is no terminal and no -y", async () => {
    for (const answer of ["n", "", undefined]) {
      const ctx = operateContext(config, everywhere(deployed999));
      const error = await removeApp(ctx, { yes: false, prompt: async () => answer }).catch((e: Error) => e);
      expect((error as Error).message).toBe(answer === undefined ? "Nothing was removed: there is no terminal to confirm on" : "Nothing was removed: not confirmed");
      if (answer === undefined) expect(error).toMatchObject({ hint: "pass -y to confirm without a prompt" });
      expect(commandsOn(ctx, "1.1.1.1").some((l) => l.includes("mkdir .mrsk/lock-app") || l.includes("prune"))).toBe(false);
    }
  });

  it("removes the app's image tags by name when no container of the service is left", async () => {
    const ctx = operateContext(config);
    dryRunOf(ctx).answer("1.1.1.1", (l) => l.startsWith("docker image ls dhh/app --format '{{.Repository}}"), "dhh/app:999\ndhh/app:<none>");
    await removeApp(ctx, { yes: true });
    expect(commandsOn(ctx, "1.1.1.1")).toContain("docker rmi dhh/app:999");
  });
});

describe("app details, containers, images, version", () => {
  it("answer per host and role without the lock", async () => {
    const ctx = operateContext(withJobs, everywhere(deployed999));
    await showAppDetails(ctx);
    await showAppContainers(ctx);
    await showAppImages(ctx);
    await showAppVersion(ctx);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([
      "docker ps --filter label=service=app --filter label=destination= --filter label=role=web",
      "docker ps --filter label=service=app --filter label=destination= --filter label=role=jobs",
      "docker container ls --all --filter label=service=app --filter label=destination= --filter label=role=web",
      "docker container ls --all --filter label=service=app --filter label=destination= --filter label=role=jobs",
      "docker image ls dhh/app",
      PS_ALL,
      FROM_LATEST,
    ]);
    expect(results(ctx).slice(-2)).toEqual(["[1.1.1.1] 999", "[1.1.1.2] web: 999\njobs: not running"]);
    expect(commandsOn(ctx, "1.1.1.1").some((l) => l.includes("lock-app"))).toBe(false);
  });

  it("show the hosts that answer and name the one that cannot be reached", async () => {
    const ctx = operateContext(config, everywhere(deployed999), { unreachable: ["1.1.1.1"] });
    await expect(showAppVersion(ctx)).rejects.toThrow("Could not connect to 1.1.1.1: connect ETIMEDOUT");
    expect(results(ctx)).toEqual(["[1.1.1.2] 999"]);
  });
});

describe("app logs", () => {
  it("show the last 100 lines of each role's current container, per host", async () => {
    const ctx = operateContext(config, everywhere(deployed999));
    dryRunOf(ctx).answer("1.1.1.1", (l) => l.startsWith("docker logs"), "2026-01-01T00:00:00Z hello\n");
    await showAppLogs(ctx, {});
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([PS_ALL, FROM_LATEST, "docker logs --timestamps --tail 100 app-web-999 2>&1"]);
    expect(results(ctx)).toEqual(["[1.1.1.1] 2026-01-01T00:00:00Z hello", "[1.1.1.2] (no log lines)"]);
  });

  it("grep on the host, saying when nothing matches", async () => {
    const ctx = operateContext(config, { "1.1.1.1": deployed999 });
    dryRunOf(ctx).answer("1.1.1.1", (l) => l.startsWith("docker logs"), "", 1);
    await showAppLogs(ctx, { grep: "req-42", since: "10m" });
    expect(commandsOn(ctx, "1.1.1.1").at(-1)).toBe("docker logs --timestamps --since 10m app-web-999 2>&1 | grep -e req-42");
    expect(results(ctx)).toEqual(["[1.1.1.1] Nothing found", "[1.1.1.2] No running container of app-web"]);
  });

  it("follow every host, each line prefixed by its host, until interrupted", async () => {
    const inner = new DryRunTransport({ redact: (s) => s });
    const streamed: string[] = [];
    const transport = streamingTransport(inner, (host, cmd, options) => {
      streamed.push(`${host}: ${toShell(cmd)}`);
      options.onStdout?.(Buffer.from(`${host} line 1\n${host} li`));
      options.onStdout?.(Buffer.from("ne 2\n"));
    });
    const ctx = new TestFlowContext(config, { dryRun: false, transport });
    for (const host of HOSTS) {
      inner.answer(host, (l) => l.startsWith("docker ps --all"), "app-web-999\trunning\tweb\tdhh/app:999\tx");
    }
    const following = showAppLogs(ctx, { follow: true });
    setTimeout(() => ctx.abort(new Error("Interrupted by SIGINT")), 50);
    await following;
    expect(streamed.sort()).toEqual(HOSTS.map((h) => `${h}: docker logs --timestamps --tail 10 --follow app-web-999 2>&1`));
    expect(results(ctx).sort()).toEqual(["[1.1.1.1] 1.1.1.1 line 1", "[1.1.1.1] 1.1.1.1 line 2", "[1.1.1.2] 1.1.1.2 line 1", "[1.1.1.2] 1.1.1.2 line 2"]);
  });
});

describe("app exec", () => {
  it("runs in a new container of the deployed version on every host, env file uploaded first", async () => {
    const ctx = operateContext(config, everywhere(deployed999));
    await execApp(ctx, { line: "bin/rails about", reuse: false, interactive: false, env: { DEBUG: "1" } });
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([
      IDS_AND_TAGS,
      "mkdir -p .mrsk/app/env/roles",
      "upload .mrsk/app/env/roles/web.env (mode 600)",
      audit("Executed cmd 'bin/rails about' on app version 999", "web"),
      "docker run --rm --env MRSK_CONTAINER_NAME=app-web-999 --env MRSK_VERSION=999 --env MRSK_HOST=1.1.1.2 --env RAILS_ENV=production --env-file .mrsk/app/env/roles/web.env --env DEBUG=1 dhh/app:999 bin/rails about",
    ]);
  });

  it("runs in the current container with --reuse, and fails naming a host where none runs", async () => {
    const ctx = operateContext(config, { "1.1.1.1": deployed999 });
    await expect(execApp(ctx, { line: "env", reuse: true, interactive: false, env: {} })).rejects.toThrow("No running container of app-web on 1.1.1.2 to run the command in");
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([PS_ALL, FROM_LATEST, audit("Executed cmd 'env' on app version 999", "web"), "docker exec app-web-999 env"]);
  });

  it("opens a terminal on the first host with -i, in raw mode, restored afterwards", async () => {
    const inner = new DryRunTransport({ redact: (s) => s });
    let seen: StreamOptions | undefined;
    const transport = streamingTransport(inner, (_host, _cmd, options) => {
      seen = options;
      options.onStdout?.(Buffer.from("# "));
      return 3;
    });
    const ctx = new TestFlowContext(config, { dryRun: false, transport });
    inner.answer("1.1.1.1", (l) => l.startsWith("docker ps --all"), "app-web-999\trunning\tweb\tdhh/app:999\tx");
    const rawModes: boolean[] = [];
    const written: string[] = [];
    const input = new PassThrough();
    const terminal: Terminal = { input, write: (c) => written.push(c.toString()), term: "xterm", size: () => ({ rows: 40, cols: 120 }), setRawMode: (raw) => rawModes.push(raw) };
    const code = await execApp(ctx, { line: "sh", reuse: true, interactive: true, env: {} }, terminal);
    expect(code).toBe(3);
    expect(rawModes).toEqual([true, false]);
    expect(written).toEqual(["# "]);
    expect(seen?.pty).toEqual({ term: "xterm", rows: 40, cols: 120 });
    expect(seen?.stdin).toBe(input);
    expect(inner.recorded("1.1.1.2")).toEqual([]);
  });
});

/** A dry-run transport whose `stream` calls `play` and then waits for the abort (unless it returns an exit code). */
function streamingTransport(inner: DryRunTransport, play: (host: string, cmd: Cmd, options: StreamOptions) => number | void): Transport {
  return {
    kind: "dry-run",
    close: async () => {},
    session: async (host: string): Promise<HostSession> => {
      const session = await inner.session(host);
      return {
        ...session,
        stream: async (cmd, options = {}) => {
          const code = play(host, cmd, options);
          if (code !== undefined) return code;
          await new Promise<void>((resolve) => options.signal?.addEventListener("abort", () => resolve(), { once: true }));
          return null;
        },
      };
    },
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
