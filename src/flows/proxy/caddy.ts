import {
  PROXY_NETWORK,
  certificateDirectory,
  containerAliases,
  containersAliases,
  listSlotMarkers,
  parseContainersAliases,
  otherSlot,
  parseUpstreamRequests,
  routeToSlot,
  servingSlot,
  slotOfAliases,
  slotUpstreams,
  switchToSlot,
  upstreamRequests,
  type Slot,
  diagnoseProbe,
  mainCaddyfile,
  parseHeader,
  parseProxyHostState,
  prepareProxyHost,
  probeContainer,
  reloadProxy,
  siteFile,
  siteFileName,
  siteFilePath,
  startOrRunProxy,
  type ProxyHostState,
} from "../../commands/caddy.js";
import { diagnoseContainer, ensureDirectory } from "../../commands/app.js";
import { dockerDaemonDown } from "../../commands/docker.js";
import type { Word } from "../../commands/shell.js";
import type { Config } from "../../config/model.js";
import { proxyRunSettings, proxySettings, type ProxySettings } from "../../config/proxy.js";
import type { Role } from "../../config/role.js";
import { MrskError } from "../../errors.js";
import { onHosts } from "../../transport/fanout.js";
import type { HostSession } from "../../transport/types.js";
import { BootError } from "../boot.js";
import { settleAll } from "../settle.js";
import { DIAGNOSIS_LOG_LINES, formatDiagnosis, parseDiagnosis, stateHint } from "../diagnosis.js";
import type { FlowContext } from "../context.js";
import { sleep } from "../with-lock.js";
import type { BootSlot, ProxyDriver } from "./driver.js";

// The Caddy driver: health-gated switching between two upstream slots per role, by a marker file
// Caddy checks per request, then draining the old slot (Caddy's own count of its requests in
// flight) before the old container stops; Caddy is reloaded only when a site definition changes.

/** A request routed just before the switch is counted by Caddy within microseconds; readings this soon may miss it. */
const DRAIN_SETTLE_MS = 250;
const DRAIN_POLL_MS = 100;
/** Without Caddy's count (an image without wget), the old container gets this long before its graceful stop. */
const DRAIN_WITHOUT_COUNT_MS = 1000;

export const caddyDriver: ProxyDriver = {
  name: "caddy",

  appRunArgs(): Word[] {
    return ["--network", PROXY_NETWORK];
  },

  async ensureRunning(ctx: FlowContext, config: Config, hosts: readonly string[]): Promise<void> {
    if (hosts.length === 0) return;
    ctx.output.phase(`Ensuring the proxy runs on ${hosts.join(", ")}`);
    await syncHosts(ctx, config, hosts, { start: true });
  },

  async refreshRoutes(ctx: FlowContext, config: Config, hosts: readonly string[]): Promise<void> {
    if (hosts.length === 0) return;
    await syncHosts(ctx, config, hosts, { start: false });
  },

  async servingContainer(session: HostSession, role: Role, candidates: readonly string[]): Promise<string | undefined> {
    const serving = servingSlot(role, (await session.run(listSlotMarkers())).stdout);
    const aliases = parseContainersAliases((await session.run(containersAliases(candidates), { tolerate: true })).stdout);
    return candidates.find((name) => slotOfAliases(role, aliases.get(name) ?? "") === serving);
  },

  async probe(_ctx: FlowContext, config: Config, slot: BootSlot, signal?: AbortSignal): Promise<void> {
    await probeUntilHealthy(config, slot, signal);
  },

  async switchTraffic(ctx: FlowContext, config: Config, slots: readonly BootSlot[], signal?: AbortSignal): Promise<void> {
    const proxied = slots.filter((s) => s.role.proxied);
    if (proxied.length === 0) return;
    ctx.output.phase(`Switching traffic to ${[...new Set(proxied.map((s) => s.newName))].join(", ")}`);
    await settleAll(
      proxied.map(async (slot) => {
        const serving = servingSlot(slot.role, (await slot.session.run(listSlotMarkers())).stdout);
        await slot.session.run(switchToSlot(slot.role, otherSlot(serving), slot.newName));
        if (slot.oldName !== undefined) await drainSlot(ctx, config, slot, serving, slot.oldName, signal);
      }),
    );
  },

  async restoreTraffic(ctx: FlowContext, config: Config, slots: readonly BootSlot[], signal?: AbortSignal): Promise<void> {
    await settleAll(
      slots
        .filter((s) => s.role.proxied && s.oldName !== undefined)
        .map(async (slot) => {
          const oldSlot = slotOfAliases(slot.role, (await slot.session.run(containerAliases(slot.oldName!), { tolerate: true })).stdout.trim());
          if (oldSlot === undefined) return;
          await slot.session.run(routeToSlot(slot.role, oldSlot));
          await drainSlot(ctx, config, slot, otherSlot(oldSlot), slot.newName, signal);
        }),
    );
  },

  stopTimeout(config: Config, role: Role): number {
    return role.stopTimeout ?? config.stopWaitTime ?? config.drainTimeout;
  },
};

/**
 * Waits until Caddy has no request in flight to `slot` (which no longer gets new ones), so that
 * stopping `container` cuts none, or until the role's stop timeout passes.
 */
async function drainSlot(ctx: FlowContext, config: Config, boot: BootSlot, slot: Slot, container: string, signal?: AbortSignal): Promise<void> {
  const addresses = slotUpstreams(boot.role, slot, proxySettings(config, boot.role).appPort);
  const switchedAt = Date.now();
  const deadline = switchedAt + (caddyDriver.stopTimeout(config, boot.role) ?? 10) * 1000;
  for (;;) {
    const status = await boot.session.run(upstreamRequests(), { tolerate: true });
    const counts = status.exitCode === 0 ? parseUpstreamRequests(status.stdout) : undefined;
    if (counts === undefined) {
      await sleep(DRAIN_WITHOUT_COUNT_MS, signal);
      return;
    }
    const inFlight = addresses.reduce((sum, a) => sum + (counts.get(a) ?? 0), 0);
    if (inFlight === 0 && Date.now() - switchedAt >= DRAIN_SETTLE_MS) return;
    if (Date.now() >= deadline) {
      ctx.output.warn(`${inFlight} request(s) still in flight to ${container} when its drain time ran out`, boot.host);
      return;
    }
    await sleep(DRAIN_POLL_MS, signal);
  }
}

/**
 * Reads every host first (a conflict anywhere stops before any host changes), then writes the files
 * whose digests differ, reloading a running proxy only then. Without `start`, a stopped proxy stays
 * stopped and a role in maintenance keeps its maintenance page (`app live` writes its routes).
 */
async function syncHosts(ctx: FlowContext, config: Config, hosts: readonly string[], options: { start: boolean }): Promise<void> {
  const transport = await ctx.transport();
  const states = await onHosts(transport, hosts, async (session) => parseProxyHostState((await session.run(prepareProxyHost())).stdout));
  const plans = hosts.map((host, i) => planHost(config, host, states[i]!, { keepMaintenance: !options.start }));
  const conflicts = plans.flatMap((p) => p.conflicts);
  if (conflicts.length > 0) {
    throw new MrskError(`Another app on these hosts already serves the same host names:\n${conflicts.map((c) => `    ${c}`).join("\n")}`, {
      hint: "give this app other proxy.host names, or remove the other app's routes first",
    });
  }
  await onHosts(transport, hosts, async (session) => applyPlan(ctx, config, session, plans[hosts.indexOf(session.host)]!, options));
}

interface HostPlan {
  host: string;
  running: boolean | undefined;
  mainContent: string | undefined;
  sites: Array<{ role: Role; settings: ProxySettings; content: string | undefined }>;
  conflicts: string[];
}

/** What must change on a host: the main Caddyfile and this app's site files whose digests differ. */
function planHost(config: Config, host: string, state: ProxyHostState, options: { keepMaintenance: boolean }): HostPlan {
  const main = mainCaddyfile(proxyRunSettings(config));
  const roles = config.proxiedRoles.filter((r) => r.hosts.includes(host));
  const sites = roles.map((role) => {
    const settings = proxySettings(config, role);
    const content = siteFile(config, role, settings);
    const current = state.sites.get(siteFileName(role));
    const keep = current?.digest === digestOf(content) || (options.keepMaintenance && current?.maintenance === "on");
    return { role, settings, content: keep ? undefined : content };
  });
  const conflicts: string[] = [];
  for (const { role, settings } of sites) {
    const claimed = settings.hosts.length === 0 ? ["*"] : settings.hosts;
    for (const [file, other] of state.sites) {
      if (file === siteFileName(role)) continue;
      const theirs = (other.hosts ?? "").split(",");
      const clash = claimed.filter((h) => theirs.includes(h));
      if (clash.length > 0) {
        conflicts.push(`${host}: ${clash.map((h) => (h === "*" ? "every host name (no proxy.host)" : h)).join(", ")} already routed to ${other.service} (${other.role}${other.destination ? `, ${other.destination}` : ""})`);
      }
    }
  }
  return { host, running: state.running, mainContent: state.main?.digest === digestOf(main) ? undefined : main, sites, conflicts };
}

function digestOf(content: string): string | undefined {
  return parseHeader(content.slice(0, content.indexOf("\n")))?.digest;
}

async function applyPlan(ctx: FlowContext, config: Config, session: HostSession, plan: HostPlan, options: { start: boolean }): Promise<void> {
  let changed = false;
  if (plan.mainContent !== undefined) {
    await session.upload(".mrsk/proxy/Caddyfile", plan.mainContent, 0o644);
    changed = true;
  }
  for (const site of plan.sites) {
    if (site.settings.ssl.kind === "custom") await uploadCertificate(config, session, site.role, site.settings);
    if (site.content === undefined) continue;
    await session.upload(siteFilePath(site.role), site.content, 0o644);
    changed = true;
  }
  const run = proxyRunSettings(config);
  if (plan.running !== true && !options.start) return;
  if (plan.running !== true) {
    const started = await session.run(startOrRunProxy(run), { tolerate: true });
    if (started.exitCode === 0) return;
    const taken = /port is already allocated|address already in use/.test(started.stderr);
    throw new MrskError(`The proxy could not start on ${session.host}: ${started.stderr.trim().split("\n").pop()}`, {
      hint: taken
        ? `another container publishes port ${run.httpPort} or ${run.httpsPort} there (MRSK's traefik? \`mrsk traefik remove\` removes it), or set proxy.run.http_port/https_port`
        : "see `mrsk proxy logs`",
    });
  }
  if (changed) {
    ctx.output.info("Reloading the proxy: a site definition changed", session.host);
    await session.run(reloadProxy());
  }
}

async function uploadCertificate(config: Config, session: HostSession, role: Role, settings: ProxySettings): Promise<void> {
  if (settings.ssl.kind !== "custom") return;
  const dir = certificateDirectory(role);
  await session.run(ensureDirectory(dir));
  await session.upload(`${dir}/cert.pem`, config.secrets.get(settings.ssl.certificateSecret) ?? "", 0o600);
  await session.upload(`${dir}/key.pem`, config.secrets.get(settings.ssl.privateKeySecret) ?? "", 0o600);
}

interface ProbeAttempt {
  atMs: number;
  outcome: string;
}

/** Probes the new container over the proxy's network until it answers 2xx, or fails with the probe history. */
async function probeUntilHealthy(config: Config, slot: BootSlot, signal?: AbortSignal): Promise<void> {
  const settings = proxySettings(config, slot.role);
  const hc = settings.healthcheck;
  const started = Date.now();
  const deadline = started + config.deployTimeout * 1000;
  const attempts: ProbeAttempt[] = [];
  for (;;) {
    const result = await slot.session.run(probeContainer(slot.newName, settings.appPort, hc.path, hc.timeoutSeconds), { tolerate: true });
    const outcome = describeProbe(result.exitCode, result.stdout, result.stderr);
    attempts.push({ atMs: Date.now() - started, outcome });
    if (result.exitCode === 0 && /^2\d\d /.test(result.stdout)) return;
    if (result.exitCode !== 0 && result.exitCode !== 7 && result.exitCode !== 28 && result.exitCode !== 52 && result.exitCode !== 56) {
      // Not a refused/slow/empty answer: the container is gone or curl is missing.
      const state = await slot.session.run(diagnoseProbe(slot.newName), { tolerate: true });
      if (dockerDaemonDown(state.stderr)) throw await probeError(slot, settings, attempts, `dockerd does not answer: ${state.stderr.trim().split("\n").pop()}`);
      if (state.stdout.trim() !== "running") throw await probeError(slot, settings, attempts, `the container is ${state.stdout.trim() || "gone"}`);
      if (result.exitCode === 127) throw new MrskError(`curl is not installed on ${slot.host}; mrsk probes new containers with it`, { hint: `install curl on ${slot.host}` });
    }
    if (Date.now() >= deadline) throw await probeError(slot, settings, attempts, `no 2xx answer within deploy_timeout (${config.deployTimeout}s)`);
    await sleep(hc.intervalMs, signal);
  }
}

/** One attempt in words: `200 in 0.004s`, `301 → https://…`, `refused`, `timed out`. */
export function describeProbe(exitCode: number | null, stdout: string, stderr: string): string {
  if (exitCode === 7) return "connection refused";
  // No address on the proxy network: the container is not running at that moment.
  if (exitCode === 3) return "no address (not running)";
  if (exitCode === 28) return "timed out";
  if (exitCode === 52) return "empty reply";
  if (exitCode !== 0) return `failed (${stderr.trim().split("\n").pop() ?? `curl exit ${exitCode}`})`;
  const [code = "?", seconds = "?", redirect = ""] = stdout.trim().split(" ");
  return `${code} in ${seconds}s${redirect === "" ? "" : ` → ${redirect}`}`;
}

/** The likely cause of a failed probe, from what the attempts saw. */
export function likelyCause(attempts: readonly ProbeAttempt[], settings: ProxySettings): string {
  const last = attempts.at(-1)?.outcome ?? "";
  const path = settings.healthcheck.path;
  const redirect = attempts.map((a) => a.outcome).find((o) => /^30[1278] /.test(o));
  if (redirect !== undefined) return `${path} answered ${redirect.split(" ")[0]}: an HTTPS redirect? exclude ${path} from it (e.g. Rails' config.ssl_options) or set proxy.forward_headers: true`;
  if (/^404 /.test(last)) return `${path} answered 404: does the app serve ${path}? set proxy.healthcheck.path to a page it serves`;
  if (/^5\d\d /.test(last)) return `${path} answered ${last.split(" ")[0]}: the app fails at ${path}; its log lines above say why`;
  if (attempts.every((a) => a.outcome === "connection refused")) return `nothing listens on port ${settings.appPort} in the container: set proxy.app_port to the port the app listens on`;
  if (last === "timed out") return `${path} did not answer within ${settings.healthcheck.timeoutSeconds}s: raise proxy.healthcheck.timeout, or make ${path} cheap`;
  if (/^4\d\d /.test(last)) return `${path} answered ${last.split(" ")[0]}: the app refuses the probe; does ${path} need a Host header or authentication?`;
  return "the container did not become healthy";
}

async function probeError(slot: BootSlot, settings: ProxySettings, attempts: readonly ProbeAttempt[], why: string): Promise<BootError> {
  const diagnosis = parseDiagnosis((await slot.session.run(diagnoseContainer(slot.newName, DIAGNOSIS_LOG_LINES), { tolerate: true })).stdout);
  const history = summarize(attempts);
  return new BootError(
    `${slot.newName} on ${slot.host} did not become healthy (${why}); traffic was not switched and every host stays on the previous version\n` +
      formatDiagnosis(diagnosis, [`  Probes of http://<container>:${settings.appPort}${settings.healthcheck.path}:`, ...history.map((h) => `    ${h}`)]),
    { hint: stateHint(diagnosis) ?? likelyCause(attempts, settings) },
  );
}

/** Consecutive identical outcomes folded: `connection refused ×12 (0.0s–2.9s)`. */
function summarize(attempts: readonly ProbeAttempt[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < attempts.length) {
    let j = i;
    const key = attempts[i]!.outcome.replace(/ in [\d.]+s/, "");
    while (j + 1 < attempts.length && attempts[j + 1]!.outcome.replace(/ in [\d.]+s/, "") === key) j++;
    const from = (attempts[i]!.atMs / 1000).toFixed(1);
    const to = (attempts[j]!.atMs / 1000).toFixed(1);
    out.push(j === i ? `${from}s: ${attempts[i]!.outcome}` : `${from}s–${to}s: ${key} ×${j - i + 1}`);
    i = j + 1;
  }
  return out.slice(-12);
}
