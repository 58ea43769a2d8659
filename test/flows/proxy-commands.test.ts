import { describe, expect, it } from "vitest";
import type { Config } from "../../src/config/model.js";
import { MrskError, MultiHostError } from "../../src/errors.js";
import {
  bootProxyCommand,
  proxyDetailsCommand,
  proxyLogsCommand,
  rebootProxyCommand,
  removeProxyCommand,
  restartProxyCommand,
  startProxyCommand,
  stopProxyCommand,
} from "../../src/flows/proxy/commands.js";
import { DryRunTransport } from "../../src/transport/dry-run.js";
import type { HostSession, Transport } from "../../src/transport/types.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { TestFlowContext } from "../support/flow-context.js";
import { audit, commandsOn, dryRunOf, LOCK, normalize, operateContext, results, UNLOCK } from "../support/operate.js";

// Every remote command of `mrsk proxy …` (the Caddy driver) on two proxy hosts, 1.1.1.1 being
// the primary one that holds the deploy lock.

const SECRETS = { ...MRSK_SECRETS, KAMAL_REGISTRY_PASSWORD: "registry-pw-value" };
const config = configFrom(`${MRSK_MINIMAL}proxy:\n  host: app.example.com\n`, { env: SECRETS });
const HOSTS = ["1.1.1.1", "1.1.1.2"];

const PREPARE =
  "docker network inspect mrsk >/dev/null 2>&1 || docker network create mrsk >/dev/null 2>&1 ; mkdir -p .mrsk/proxy/sites .mrsk/proxy/certs .mrsk/proxy/live ; docker container inspect --format '{{.State.Running}}' mrsk-proxy 2>/dev/null ; head -qn1 .mrsk/proxy/Caddyfile .mrsk/proxy/sites/*.caddy 2>/dev/null ; true";
const REMOVE = `${audit("Removed proxy")} && docker container rm --force mrsk-proxy ; docker volume rm mrsk-proxy-data mrsk-proxy-config >/dev/null 2>&1 ; rm -rf .mrsk/proxy`;
const RUN_PROXY =
  'docker run --name mrsk-proxy --network mrsk --detach --restart unless-stopped --publish 80:80 --publish 443:443 --volume "${PWD}/.mrsk/proxy:/etc/caddy" --volume mrsk-proxy-data:/data --volume mrsk-proxy-config:/config --env XDG_DATA_HOME=/data --env XDG_CONFIG_HOME=/config --label mrsk-proxy=true --log-opt max-size=10m caddy:2 caddy run --config /etc/caddy/Caddyfile --adapter caddyfile';
const REBOOT = `${audit("Rebooted proxy")} && docker container rm --force mrsk-proxy >/dev/null 2>&1 ; ${RUN_PROXY}`;

/** What `prepareProxyHost` prints on a host with a running proxy and these site headers. */
const proxyState = (...sites: string[]): string => ["true", "# mrsk file=main digest=0123456789abcdef", ...sites].join("\n");
const APP_SITE = "# mrsk service=app role=web destination= hosts=app.example.com digest=2";
const BLOG_SITE = "# mrsk service=blog role=web destination= hosts=blog.test digest=1";
const SHOP_SITE = "# mrsk service=shop role=api destination= hosts=shop.test digest=3";

const isPrepare = (line: string): boolean => line.startsWith("docker network inspect mrsk ");
const phases = (ctx: TestFlowContext): string[] => ctx.events.flatMap((e) => (e.type === "phase" ? [e.title] : []));

/** The message the lock was taken with, decoded from the details written on the primary host. */
function lockMessage(ctx: TestFlowContext): string | undefined {
  const line = dryRunOf(ctx).recorded("1.1.1.1")[0];
  const encoded = line?.kind === "upload" ? undefined : /echo (\S+) > \.mrsk\/lock-app\/details /.exec(line?.line ?? "")?.[1];
  return encoded === undefined ? undefined : /^Message: (.*)$/m.exec(Buffer.from(encoded, "base64").toString("utf8"))?.[1];
}

describe("proxy remove", () => {
  it("is refused, naming each host, service and role, while another service's site is on a host", async () => {
    const ctx = operateContext(config);
    dryRunOf(ctx).answer("1.1.1.1", isPrepare, proxyState(APP_SITE));
    dryRunOf(ctx).answer("1.1.1.2", isPrepare, proxyState(APP_SITE, BLOG_SITE, SHOP_SITE));
    const error = await removeProxyCommand(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MrskError);
    expect(error).toMatchObject({
      message: "Other apps still route through the proxy:\n    1.1.1.2: blog (web)\n    1.1.1.2: shop (api)",
      hint: "remove them first, or pass --force to remove the proxy anyway (their sites go down)",
    });
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, PREPARE, UNLOCK]);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([PREPARE]);
  });

  it("is refused while the same service deployed to another destination still routes through the proxy", async () => {
    const project = { deploy: `${MRSK_MINIMAL}proxy:\n  host: app.example.com\n`, files: { "config/deploy.staging.yml": "proxy:\n  host: staging.example.com\n" } };
    const staging = configFrom(project, { env: SECRETS, destination: "staging" });
    const ctx = operateContext(staging);
    const production = "# mrsk service=app role=web destination=production hosts=app.example.com digest=4";
    const own = "# mrsk service=app role=web destination=staging hosts=staging.example.com digest=5";
    for (const host of HOSTS) dryRunOf(ctx).answer(host, isPrepare, proxyState(own, production));
    await expect(removeProxyCommand(ctx)).rejects.toThrow(/^Other apps still route through the proxy:\n {4}1\.1\.1\.1: app \(web/);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([PREPARE]);
  });

  it("removes the container, its volumes and .mrsk/proxy on every host when only this service's sites are there", async () => {
    const ctx = operateContext(config);
    for (const host of HOSTS) dryRunOf(ctx).answer(host, isPrepare, proxyState(APP_SITE));
    await removeProxyCommand(ctx);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, PREPARE, REMOVE, UNLOCK]);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([PREPARE, REMOVE]);
    expect(lockMessage(ctx)).toBe("Automatic lock: mrsk proxy remove");
  });

  it("with force, removes the proxy without asking the hosts which sites they serve", async () => {
    const ctx = operateContext(config);
    for (const host of HOSTS) dryRunOf(ctx).answer(host, isPrepare, proxyState(APP_SITE, BLOG_SITE));
    await removeProxyCommand(ctx, { force: true });
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, REMOVE, UNLOCK]);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([REMOVE]);
  });
});

/** Delays the proxy replacement on some hosts, noting when each starts and ends. */
class SlowReboots implements Transport {
  readonly kind = "dry-run";
  readonly timeline: string[] = [];

  constructor(
    readonly inner: DryRunTransport,
    private readonly delayMs: Record<string, number>,
  ) {}

  async session(host: string): Promise<HostSession> {
    const session = await this.inner.session(host);
    return {
      ...session,
      run: async (cmd, options) => {
        const rebooting = cmd.includes("mrsk-proxy") && cmd.includes("run");
        if (!rebooting) return session.run(cmd, options);
        this.timeline.push(`start ${host}`);
        await new Promise((resolve) => setTimeout(resolve, this.delayMs[host] ?? 0));
        const result = await session.run(cmd, options);
        this.timeline.push(`end ${host}`);
        return result;
      },
    };
  }

  async close(): Promise<void> {}
}

function slowContext(cfg: Config, delayMs: Record<string, number>): { ctx: TestFlowContext; transport: SlowReboots } {
  let output: TestFlowContext["output"] | undefined;
  const inner = new DryRunTransport({ redact: (s) => output?.redactor.redact(s) ?? s, listener: (event) => output?.emit(event) });
  const transport = new SlowReboots(inner, delayMs);
  const ctx = new TestFlowContext(cfg, { dryRun: false, transport });
  output = ctx.output;
  ctx.env.USER = "deployer";
  return { ctx, transport };
}

const innerCommands = (transport: SlowReboots, host: string): string[] =>
  transport.inner.recorded(host).map((r) => normalize(r.kind === "upload" ? `upload ${r.path}` : r.line));

describe("proxy reboot", () => {
  it("replaces the proxy container on every host at once, under the lock", async () => {
    const { ctx, transport } = slowContext(config, { "1.1.1.1": 60 });
    await rebootProxyCommand(ctx);
    expect(transport.timeline).toEqual(["start 1.1.1.1", "start 1.1.1.2", "end 1.1.1.2", "end 1.1.1.1"]);
    expect(innerCommands(transport, "1.1.1.1")).toEqual([LOCK, REBOOT, UNLOCK]);
    expect(innerCommands(transport, "1.1.1.2")).toEqual([REBOOT]);
    expect(phases(ctx).filter((t) => t.startsWith("Rebooting"))).toEqual(["Rebooting the proxy on 1.1.1.1, 1.1.1.2"]);
  });

  it("with rolling, replaces it on one host after the other, the next starting only once the previous finished", async () => {
    const { ctx, transport } = slowContext(config, { "1.1.1.1": 60 });
    await rebootProxyCommand(ctx, { rolling: true });
    expect(transport.timeline).toEqual(["start 1.1.1.1", "end 1.1.1.1", "start 1.1.1.2", "end 1.1.1.2"]);
    expect(innerCommands(transport, "1.1.1.1")).toEqual([LOCK, REBOOT, UNLOCK]);
    expect(innerCommands(transport, "1.1.1.2")).toEqual([REBOOT]);
    expect(transport.inner.recorded().map((r) => (r.kind === "upload" ? r.path : `${r.host} ${normalize(r.line)}`))).toEqual([
      `1.1.1.1 ${LOCK}`,
      `1.1.1.1 ${REBOOT}`,
      `1.1.1.2 ${REBOOT}`,
      `1.1.1.1 ${UNLOCK}`,
    ]);
    expect(phases(ctx).filter((t) => t.startsWith("Rebooting"))).toEqual(["Rebooting the proxy on 1.1.1.1", "Rebooting the proxy on 1.1.1.2"]);
  });
});

describe("proxy start, stop, restart", () => {
  it.each([
    ["start", startProxyCommand, "Started proxy", "docker container start mrsk-proxy"],
    ["stop", stopProxyCommand, "Stopped proxy", "docker container stop mrsk-proxy"],
    ["restart", restartProxyCommand, "Restarted proxy", "docker container restart mrsk-proxy"],
  ] as const)("%s runs the docker command on every proxy host under the lock, with an audit line", async (name, command, message, docker) => {
    const ctx = operateContext(config);
    await command(ctx);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, `${audit(message)} && ${docker}`, UNLOCK]);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([`${audit(message)} && ${docker}`]);
    expect(lockMessage(ctx)).toBe(`Automatic lock: mrsk proxy ${name}`);
    expect(ctx.events.at(-1)).toMatchObject({ type: "done", ok: true });
  });

  it("acts only on the selected proxy hosts, still taking the lock on the primary host", async () => {
    const ctx = operateContext(config, {}, { filters: { hosts: "1.1.1.2" } });
    await stopProxyCommand(ctx);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([LOCK, UNLOCK]);
    expect(commandsOn(ctx, "1.1.1.2")).toEqual([`${audit("Stopped proxy")} && docker container stop mrsk-proxy`]);
  });

  it("with --skip-lock, runs without taking the lock", async () => {
    const ctx = operateContext(config);
    await restartProxyCommand(ctx, { skipLock: true });
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([`${audit("Restarted proxy")} && docker container restart mrsk-proxy`]);
    expect(ctx.events).toContainEqual({ type: "warn", message: "Not taking the deploy lock (--skip-lock)" });
  });
});

describe("proxy details", () => {
  const DETAILS = "docker ps --all --filter 'name=^mrsk-proxy$' --format '{{.Names}}\t{{.Status}}\t{{.Image}}\t{{.Ports}}'";

  it("shows the reachable host's proxy, names the unreachable host, and fails", async () => {
    const ctx = operateContext(config, {}, { unreachable: ["1.1.1.2"] });
    dryRunOf(ctx).answer("1.1.1.1", (l) => l === DETAILS, "mrsk-proxy\tUp 2 hours\tcaddy:2\t0.0.0.0:80->80/tcp\n");
    const error = await proxyDetailsCommand(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MultiHostError);
    expect((error as MultiHostError).message).toBe("Could not connect to 1.1.1.2: connect ETIMEDOUT");
    expect((error as MultiHostError).errors).toHaveLength(1);
    expect(results(ctx)).toEqual(["[1.1.1.1] mrsk-proxy\tUp 2 hours\tcaddy:2\t0.0.0.0:80->80/tcp"]);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([DETAILS]);
  });

  it("says so for a host without a proxy container, without taking the lock", async () => {
    const ctx = operateContext(config);
    dryRunOf(ctx).answer("1.1.1.2", (l) => l === DETAILS, "mrsk-proxy\tExited (0) 1 minute ago\tcaddy:2\t\n");
    await proxyDetailsCommand(ctx);
    expect(results(ctx)).toEqual(["[1.1.1.1] no proxy container", "[1.1.1.2] mrsk-proxy\tExited (0) 1 minute ago\tcaddy:2\t"]);
    expect(commandsOn(ctx, "1.1.1.1")).toEqual([DETAILS]);
  });
});

describe("proxy commands on a Traefik configuration", () => {
  const traefik = configFrom(`${MRSK_MINIMAL}traefik:\n  host_port: 8080\n`, { env: MRSK_SECRETS });
  const commands: Array<[string, (ctx: TestFlowContext) => Promise<void>]> = [
    ["boot", (ctx) => bootProxyCommand(ctx)],
    ["reboot", (ctx) => rebootProxyCommand(ctx, { rolling: true })],
    ["start", (ctx) => startProxyCommand(ctx)],
    ["stop", (ctx) => stopProxyCommand(ctx)],
    ["restart", (ctx) => restartProxyCommand(ctx)],
    ["remove", (ctx) => removeProxyCommand(ctx, { force: true })],
    ["details", (ctx) => proxyDetailsCommand(ctx)],
    ["logs", (ctx) => proxyLogsCommand(ctx, { lines: 10 })],
  ];

  it.each(commands)("proxy %s is refused, pointing to `mrsk traefik`, before reaching any host", async (_name, command) => {
    const ctx = operateContext(traefik);
    await expect(command(ctx)).rejects.toMatchObject({
      name: "MrskError",
      message: "This configuration uses Traefik (MRSK's proxy), not the Caddy proxy of a `proxy:` section",
      hint: "use `mrsk traefik …` for it",
    });
    for (const host of HOSTS) expect(commandsOn(ctx, host)).toEqual([]);
    expect(ctx.events).toEqual([]);
  });
});
