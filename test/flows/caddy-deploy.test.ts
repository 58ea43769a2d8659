import { describe, expect, it } from "vitest";
import { mainCaddyfile, siteFile } from "../../src/commands/caddy.js";
import { toShell } from "../../src/commands/shell.js";
import { proxyRunSettings, proxySettings } from "../../src/config/proxy.js";
import { deploy, redeploy, rollback } from "../../src/flows/deploy.js";
import { describeProbe, likelyCause } from "../../src/flows/proxy/caddy.js";
import { DryRunTransport } from "../../src/transport/dry-run.js";
import type { HostSession } from "../../src/transport/types.js";
import { configFrom } from "../support/config.js";
import { TestFlowContext } from "../support/flow-context.js";

// The Caddy driver's per-host sequence in a deploy, recorded by the dry-run transport.

const config = configFrom(`
service: app
image: dhh/app
servers: [1.1.1.1]
registry: { server: localhost:5000 }
builder: { arch: amd64 }
proxy:
  host: app.example.com
  app_port: 3000
`);

function context(options: { proxy?: string; sites?: string[]; probe?: string; running?: string } = {}) {
  const ctx = new TestFlowContext(config, { dryRun: false });
  ctx.env.USER = "deployer";
  const t = ctx.transportImpl as DryRunTransport;
  t.answer("1.1.1.1", (l) => l.startsWith("docker network inspect mrsk"), [options.proxy ?? "", ...(options.sites ?? [])].join("\n"));
  t.answer("1.1.1.1", (l) => l.includes("docker ps --all --filter label=service=app"), options.running ?? "app-web-1\trunning\tweb\tdhh/app:1\tx");
  t.answer("1.1.1.1", (l) => l.startsWith("curl "), options.probe ?? "200 0.003 ");
  t.answer("1.1.1.1", (l) => l.includes("wget"), "[]");
  return ctx;
}

const lines = (ctx: TestFlowContext) => ctx.commands("1.1.1.1").map((l) => l.replace(/\[\d{4}-[^\]]+\] \[[^\]]+\]/g, "[T] [U]").replace(/--hostname 1\.1\.1\.1-[0-9a-f]+/, "--hostname 1.1.1.1-HEX"));

describe("deploy with the Caddy driver", () => {
  it("writes the proxy files, starts the proxy, probes the new container, switches it into the free slot, drains the old slot, then stops the old container", async () => {
    const ctx = context();
    const t = ctx.transportImpl as DryRunTransport;
    t.answer("1.1.1.1", (l) => l.includes("wget"), '[{"address":"app-web.live:3000","num_requests":0,"fails":0}]');
    let busyReadings = 2;
    t.answer("1.1.1.1", (l) => l.includes("wget") && busyReadings-- > 0, '[{"address":"app-web.live:3000","num_requests":1,"fails":0}]');
    await deploy(ctx, { skipPush: true });
    const seq = lines(ctx);
    const at = (prefix: string) => seq.findIndex((l) => l.startsWith(prefix));
    expect(seq).toContain("upload .mrsk/proxy/Caddyfile (mode 644)");
    expect(seq).toContain("upload .mrsk/proxy/sites/app-web.caddy (mode 644)");
    expect(seq.some((l) => l.startsWith("docker container start mrsk-proxy 2>/dev/null || docker run --name mrsk-proxy"))).toBe(true);
    const run = seq.find((l) => l.includes("docker run --detach"))!;
    expect(run).toContain("--label service=app --label role=web --label destination= --network mrsk localhost:5000/dhh/app:999");
    expect(run).not.toContain("--health-cmd");
    expect(at("curl ")).toBeGreaterThan(at("mkdir -p .mrsk/app && echo '[T] [U] [web] Booted"));
    expect(at("ls -1 .mrsk/proxy/live")).toBeGreaterThan(at("curl "));
    const switched = at("docker network disconnect mrsk app-web-");
    expect(switched).toBeGreaterThan(at("ls -1 .mrsk/proxy/live"));
    expect(seq[switched]).toBe("docker network disconnect mrsk app-web-999 && docker network connect --alias app-web.live-b mrsk app-web-999 && mkdir -p .mrsk/proxy/live && touch .mrsk/proxy/live/app-web.b");
    const polls = seq.filter((l) => l === "docker exec mrsk-proxy wget -qO- http://localhost:2019/reverse_proxy/upstreams").length;
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(at("docker stop -t 30 app-web-1")).toBeGreaterThan(seq.lastIndexOf("docker exec mrsk-proxy wget -qO- http://localhost:2019/reverse_proxy/upstreams"));
    expect(seq.some((l) => l.includes("caddy reload"))).toBe(false);
  });

  it("switches into slot a when slot b serves", async () => {
    const ctx = context();
    const t = ctx.transportImpl as DryRunTransport;
    t.answer("1.1.1.1", (l) => l.startsWith("ls -1 .mrsk/proxy/live"), "app-web.b\n");
    t.answer("1.1.1.1", (l) => l.includes("wget"), '[{"address":"app-web.live-b:3000","num_requests":0,"fails":0}]');
    await deploy(ctx, { skipPush: true });
    expect(lines(ctx)).toContain("docker network disconnect mrsk app-web-999 && docker network connect --alias app-web.live mrsk app-web-999 && rm -f .mrsk/proxy/live/app-web.b");
  });

  it("points traffic back at the old container's slot and drains the new one when a step after the switch fails", async () => {
    const ctx = context();
    const t = ctx.transportImpl as DryRunTransport;
    t.answer("1.1.1.1", (l) => l.includes("wget"), "[]");
    t.answer("1.1.1.1", (l) => l.startsWith("docker stop -t 30 app-web-1"), "", 1);
    t.answer("1.1.1.1", (l) => l.startsWith("docker inspect --format '{{json"), '["app-web.live","0123456789ab"]');
    await expect(deploy(ctx, { skipPush: true })).rejects.toThrow();
    const seq = lines(ctx);
    const restored = seq.indexOf("rm -f .mrsk/proxy/live/app-web.b");
    expect(restored).toBeGreaterThan(seq.indexOf("docker start app-web-1"));
    expect(restored).toBeGreaterThan(seq.findIndex((l) => l.startsWith("docker network disconnect")));
    expect(seq.findIndex((l, i) => i > restored && l.startsWith("docker start app-web-1 ; docker stop -t 30 app-web-999 ; docker rm --force app-web-999"))).toBeGreaterThan(restored);
  });

  it("reloads a running proxy only when a site file changed", async () => {
    const current = siteFile(config, config.primaryRole, proxySettings(config, config.primaryRole)).split("\n")[0]!;
    const main = mainCaddyfile(proxyRunSettings(config)).split("\n")[0]!;
    const unchanged = context({ proxy: "true", sites: [main, current] });
    await deploy(unchanged, { skipPush: true });
    expect(lines(unchanged).some((l) => l.includes("caddy reload") || l.startsWith("upload .mrsk/proxy/sites"))).toBe(false);

    const changed = context({ proxy: "true", sites: ["# mrsk service=app role=web destination= hosts=old.example.com digest=0000"] });
    await deploy(changed, { skipPush: true });
    expect(lines(changed)).toContain("docker exec mrsk-proxy caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile");
  });

  it("refuses a host name another service routes, before changing anything", async () => {
    const ctx = context({ proxy: "true", sites: ["# mrsk service=blog role=web destination= hosts=app.example.com digest=1"] });
    await expect(deploy(ctx, { skipPush: true })).rejects.toThrow("1.1.1.1: app.example.com already routed to blog (web)");
    expect(lines(ctx).some((l) => l.startsWith("upload") || l.includes("docker run"))).toBe(false);
  });

  it("fails with the probe history and a likely cause, leaving traffic on the old container", async () => {
    const broken = configFrom(`
service: app
image: dhh/app
servers: [1.1.1.1]
registry: { server: localhost:5000 }
builder: { arch: amd64 }
deploy_timeout: 0
proxy: { host: app.example.com, app_port: 3000 }
`);
    const ctx = new TestFlowContext(broken, { dryRun: false });
    const t = ctx.transportImpl as DryRunTransport;
    t.answer("1.1.1.1", (l) => l.includes("docker ps --all --filter label=service=app"), "app-web-1\trunning\tweb\tdhh/app:1\tx");
    t.answer("1.1.1.1", (l) => l.startsWith("curl "), "301 0.002 https://app.example.com/up");
    t.answer("1.1.1.1", (l) => l.startsWith("docker inspect --format '{{json .State}}"), '{"Status":"running","ExitCode":0,"OOMKilled":false,"Error":""} 0\nlistening on 3000\n');
    const error = await deploy(ctx, { skipPush: true }).catch((e: Error & { hint?: string }) => e);
    expect(error.message).toMatch(/did not become healthy \(no 2xx answer within deploy_timeout \(0s\)\); traffic was not switched/);
    expect(error.message).toMatch(/\n {2}State: running\n {2}Probes of http:\/\/<container>:3000\/up:\n {4}0\.0s: 301 in 0\.002s → https:\/\/app\.example\.com\/up\n {2}Last 1 log lines:\n {4}listening on 3000$/);
    expect(error.message).toContain("0.0s: 301 in 0.002s → https://app.example.com/up");
    expect((error as { hint?: string }).hint).toMatch(/^\/up answered 301: an HTTPS redirect\?/);
    expect(lines(ctx).filter((l) => l.includes("docker logs"))).toEqual(["docker inspect --format '{{json .State}} {{.RestartCount}}' app-web-999 ; docker logs --tail 30 app-web-999 2>&1"]);
    expect(lines(ctx).some((l) => l.startsWith("docker network disconnect"))).toBe(false);
    expect(lines(ctx)).toContain("docker start app-web-1 ; docker rm --force app-web-999");
  });
});

describe("deploy after a failed one that could not clean up", () => {
  it("keeps the container of another version as the old one and stops the stray of this version with it", async () => {
    const ctx = context({ running: "app-web-999\trunning\tweb\tdhh/app:999\tx\napp-web-1\trunning\tweb\tdhh/app:1\tx" });
    await deploy(ctx, { skipPush: true });
    const seq = lines(ctx);
    const stop = seq.find((l) => l.startsWith("docker stop"))!;
    expect(stop).toMatch(/^docker stop -t 30 app-web-1 && docker stop -t 30 app-web-999_replaced_[0-9a-f]{16}$/);
  });

  it("waits for a restarting dockerd before rolling a host back", async () => {
    const ctx = context();
    const t = ctx.transportImpl as DryRunTransport;
    t.answer("1.1.1.1", (l) => l.startsWith("curl "), "", 6, "curl: (6) Could not resolve host");
    t.answer("1.1.1.1", (l) => l.startsWith("docker container inspect --format '{{.State.Status}}'"), "exited");
    let down = 2;
    t.answer("1.1.1.1", (l) => l.startsWith("docker start app-web-1 ;") && down-- > 0, "", 1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?");
    await expect(deploy(ctx, { skipPush: true })).rejects.toThrow(/did not become healthy/);
    expect(lines(ctx).filter((l) => l.startsWith("docker start app-web-1 ; docker rm --force app-web-999"))).toHaveLength(3);
    expect(ctx.events).toContainEqual({ type: "warn", message: "dockerd does not answer; rolling back app-web-999 once it does", host: "1.1.1.1" });
  });
});

describe("the first switch on a host set up by a release without slots", () => {
  // That release's site file routes only `app-web.live` and its host has no `.mrsk/proxy/live`.
  const OLD_SITE = "# mrsk service=app role=web destination= hosts=app.example.com digest=0000";
  const SWITCH_TO_B = "docker network disconnect mrsk app-web-999 && docker network connect --alias app-web.live-b mrsk app-web-999 && mkdir -p .mrsk/proxy/live && touch .mrsk/proxy/live/app-web.b";
  const PREPARE = "docker network inspect mrsk >/dev/null 2>&1 || docker network create mrsk >/dev/null 2>&1 ; mkdir -p .mrsk/proxy/sites .mrsk/proxy/certs .mrsk/proxy/live ; docker container inspect --format '{{.State.Running}}' mrsk-proxy 2>/dev/null ; head -qn1 .mrsk/proxy/Caddyfile .mrsk/proxy/sites/*.caddy 2>/dev/null ; true";
  const RELOAD = "docker exec mrsk-proxy caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile";

  for (const [name, run] of [
    ["redeploy", (ctx: TestFlowContext) => redeploy(ctx, { skipPush: true })],
    ["rollback", (ctx: TestFlowContext) => rollback(ctx, "999", {})],
  ] as const) {
    it(`${name} writes the slot-aware site file and reloads the proxy before the new container starts, and makes the marker directory when switching`, async () => {
      const ctx = context({ proxy: "true", sites: [OLD_SITE] });
      (ctx.transportImpl as DryRunTransport).answer("1.1.1.1", (l) => l.startsWith("docker image ls"), "999\n1");
      await run(ctx);
      const seq = lines(ctx);
      const prepare = seq.indexOf(PREPARE);
      expect(prepare).toBeGreaterThan(-1);
      expect(seq.slice(prepare + 1, prepare + 4)).toEqual(["upload .mrsk/proxy/Caddyfile (mode 644)", "upload .mrsk/proxy/sites/app-web.caddy (mode 644)", RELOAD]);
      expect(seq.findIndex((l) => l.includes("docker run --detach"))).toBeGreaterThan(prepare + 3);
      expect(seq).toContain(SWITCH_TO_B);
      expect(seq.some((l) => l.startsWith("docker container start mrsk-proxy"))).toBe(false);
    });
  }

  it("redeploy leaves a stopped proxy stopped and a role in maintenance on its maintenance page", async () => {
    const main = mainCaddyfile(proxyRunSettings(config)).split("\n")[0]!;
    const ctx = context({ proxy: "false", sites: [main, "# mrsk service=app role=web destination= hosts=app.example.com maintenance=on digest=1111"] });
    await redeploy(ctx, { skipPush: true });
    const seq = lines(ctx);
    expect(seq).toContain(PREPARE);
    expect(seq.some((l) => l.startsWith("upload .mrsk/proxy") || l.includes("caddy reload") || l.startsWith("docker container start mrsk-proxy"))).toBe(false);
    expect(seq).toContain(SWITCH_TO_B);
  });
});

describe("a host that runs a newer container a failed deploy left next to the serving one", () => {
  // app-web-5 never took traffic: it holds no slot alias. app-web-1 holds slot a, which serves.
  const RUNNING = "app-web-5\trunning\tweb\tdhh/app:5\tx\napp-web-1\trunning\tweb\tdhh/app:1\tx";
  const ALIASES = "docker inspect --format '{{.Name}} {{json (index .NetworkSettings.Networks \"mrsk\").Aliases}}' app-web-5 app-web-1";

  it("takes the container holding the serving slot's alias as the old one, stops the stray with it, and a rollback restarts only the serving one", async () => {
    const ctx = context({ running: RUNNING });
    const t = ctx.transportImpl as DryRunTransport;
    t.answer("1.1.1.1", (l) => l.startsWith("docker inspect --format '{{.Name}} {{json"), '/app-web-5 null\n/app-web-1 ["app-web.live","0123456789ab"]');
    t.answer("1.1.1.1", (l) => l.startsWith("docker inspect --format '{{json"), '["app-web.live","0123456789ab"]');
    t.answer("1.1.1.1", (l) => l.startsWith("docker stop -t 30 app-web-1"), "", 1);
    await expect(deploy(ctx, { skipPush: true })).rejects.toThrow();
    const seq = lines(ctx);
    expect(seq).toContain(ALIASES);
    const stop = seq.indexOf("docker stop -t 30 app-web-1 && docker stop -t 30 app-web-5");
    expect(stop).toBeGreaterThan(-1);
    expect(seq.slice(stop + 1)).toEqual([
      "docker start app-web-1",
      "docker inspect --format '{{json (index .NetworkSettings.Networks \"mrsk\").Aliases}}' app-web-1",
      "rm -f .mrsk/proxy/live/app-web.b",
      "docker exec mrsk-proxy wget -qO- http://localhost:2019/reverse_proxy/upstreams",
      "docker exec mrsk-proxy wget -qO- http://localhost:2019/reverse_proxy/upstreams",
      "docker exec mrsk-proxy wget -qO- http://localhost:2019/reverse_proxy/upstreams",
      "docker exec mrsk-proxy wget -qO- http://localhost:2019/reverse_proxy/upstreams",
      "docker start app-web-1 ; docker stop -t 30 app-web-999 ; docker rm --force app-web-999",
      seq.at(-1)!,
    ]);
    expect(seq.some((l) => l.includes("docker start app-web-5"))).toBe(false);
    expect(ctx.events.some((e) => e.type === "warn")).toBe(false);
  });

  it("warns, naming the host and the containers, when none of them holds the serving slot's alias", async () => {
    const ctx = context({ running: RUNNING });
    (ctx.transportImpl as DryRunTransport).answer("1.1.1.1", (l) => l.startsWith("docker inspect --format '{{.Name}} {{json"), "/app-web-5 null\n/app-web-1 null");
    await deploy(ctx, { skipPush: true });
    expect(ctx.events).toContainEqual({
      type: "warn",
      message: "None of app-web-5, app-web-1 holds the proxy slot that serves web; taking app-web-5 as the previous version and stopping app-web-1 with it",
      host: "1.1.1.1",
    });
  });
});

/** A dry-run transport whose answers to matching commands on a host arrive late (a slow host). */
class SlowTransport extends DryRunTransport {
  constructor(
    options: ConstructorParameters<typeof DryRunTransport>[0],
    private readonly slow: { host: string; matches: (line: string) => boolean; ms: number },
  ) {
    super(options);
  }

  override async session(host: string): Promise<HostSession> {
    const session = await super.session(host);
    return {
      ...session,
      run: async (cmd, options) => {
        if (host === this.slow.host && this.slow.matches(toShell(cmd))) await new Promise((r) => setTimeout(r, this.slow.ms));
        return session.run(cmd, options);
      },
    };
  }
}

describe("a switch that fails on one host while another is still switching", () => {
  const two = configFrom(`
service: app
image: dhh/app
servers: [1.1.1.1, 1.1.1.2]
registry: { server: localhost:5000 }
builder: { arch: amd64 }
proxy: { host: app.example.com, app_port: 3000 }
`);

  it("rolls back only once every host's switch has ended, so no late marker flip follows the rollback", async () => {
    const transport = new SlowTransport({ redact: (s) => s }, { host: "1.1.1.2", matches: (l) => l.startsWith("ls -1 .mrsk/proxy/live"), ms: 200 });
    const ctx = new TestFlowContext(two, { dryRun: false, transport });
    for (const host of ["1.1.1.1", "1.1.1.2"]) {
      transport.answer(host, (l) => l.includes("docker ps --all --filter label=service=app"), "app-web-1\trunning\tweb\tdhh/app:1\tx");
      transport.answer(host, (l) => l.startsWith("curl "), "200 0.003 ");
      transport.answer(host, (l) => l.includes("wget"), "[]");
      transport.answer(host, (l) => l.startsWith("docker inspect --format '{{json"), '["app-web.live","0123456789ab"]');
    }
    transport.answer("1.1.1.1", (l) => l.startsWith("docker network disconnect"), "", 1);
    await expect(deploy(ctx, { skipPush: true })).rejects.toThrow();
    const seq = transport.recorded().flatMap((r) => (r.kind === "run" ? [`${r.host} ${r.line}`] : []));
    const lateSwitch = seq.findIndex((l) => l.startsWith("1.1.1.2 docker network disconnect mrsk app-web-999"));
    expect(lateSwitch).toBeGreaterThan(-1);
    expect(seq[lateSwitch]).toBe(
      "1.1.1.2 docker network disconnect mrsk app-web-999 && docker network connect --alias app-web.live-b mrsk app-web-999 && mkdir -p .mrsk/proxy/live && touch .mrsk/proxy/live/app-web.b",
    );
    const rollbackStarts = seq.findIndex((l) => l.endsWith("docker start app-web-1"));
    expect(rollbackStarts).toBeGreaterThan(lateSwitch);
    expect(seq.slice(rollbackStarts)).toContain("1.1.1.2 rm -f .mrsk/proxy/live/app-web.b");
  });
});

describe("probe diagnosis", () => {
  const settings = proxySettings(config, config.primaryRole);
  const attempt = (outcome: string) => ({ atMs: 0, outcome });

  it("describes each attempt", () => {
    expect(describeProbe(0, "200 0.004 ", "")).toBe("200 in 0.004s");
    expect(describeProbe(7, "000 0 ", "curl: (7) Failed to connect")).toBe("connection refused");
    expect(describeProbe(28, "", "")).toBe("timed out");
  });

  it("names the likely cause", () => {
    expect(likelyCause([attempt("connection refused"), attempt("connection refused")], settings)).toBe(
      "nothing listens on port 3000 in the container: set proxy.app_port to the port the app listens on",
    );
    expect(likelyCause([attempt("404 in 0.01s")], settings)).toMatch(/^\/up answered 404: does the app serve \/up\?/);
    expect(likelyCause([attempt("500 in 0.01s")], settings)).toMatch(/^\/up answered 500: the app fails at \/up/);
    expect(likelyCause([attempt("timed out")], settings)).toMatch(/^\/up did not answer within 5s/);
  });
});
