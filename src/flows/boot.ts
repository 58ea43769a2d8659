import { randomBytes } from "node:crypto";
import {
  diagnoseContainer,
  ensureDirectory,
  healthStatus,
  listServiceContainers,
  parseContainerRows,
  parseHealthStatus,
  removeContainer,
  renameContainer,
  runApp,
  startContainer,
  stopContainer,
  type ContainerRow,
} from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import { dockerDaemonDown } from "../commands/docker.js";
import { ensureAppNetwork } from "../commands/network.js";
import { writeStdinToFile } from "../commands/files.js";
import { chain, combine, type Cmd } from "../commands/shell.js";
import type { Config } from "../config/model.js";
import type { Role } from "../config/role.js";
import { envFileContent } from "../config/env.js";
import { MrskError } from "../errors.js";
import type { HostSession } from "../transport/types.js";
import { auditTags } from "./audit.js";
import type { FlowContext } from "./context.js";
import type { SummaryRow } from "../output/events.js";
import type { BootSlot, ProxyDriver } from "./proxy/driver.js";
import { DIAGNOSIS_LOG_LINES, formatDiagnosis, parseDiagnosis, stateHint } from "./diagnosis.js";
import { settleAll } from "./settle.js";
import { sleep } from "./with-lock.js";

// Booting a version across the fleet without ever leaving it on mixed versions: in each batch
// (`boot.limit` hosts), every new container starts and must be healthy on every host before any
// old one stops. If anything fails (or the user interrupts), every new container of this and the
// earlier batches is removed and the old ones run again: the whole fleet stays on the old version.

export interface BootRequest {
  version: string;
  hosts: readonly string[];
  roles: readonly Role[];
  driver: ProxyDriver;
  signal?: AbortSignal;
  /** Runs once env files are in place and before any container starts (the release command). */
  beforeStart?: () => Promise<void>;
}

const HEALTH_POLL_MS = 300;

export class BootError extends MrskError {}

export async function bootFleet(ctx: FlowContext, config: Config, request: BootRequest): Promise<void> {
  const transport = await ctx.transport();
  const batches = bootBatches(config, request.hosts);
  const switched: BootSlot[] = [];
  const planned: BootSlot[] = [];
  const outcomes = new Map<BootSlot, SlotOutcome>();

  for (const [index, batch] of batches.entries()) {
    if (batches.length > 1) ctx.output.phase(`Booting batch ${index + 1} of ${batches.length}: ${batch.join(", ")}`);
    const sessions = await Promise.all(batch.map((h) => transport.session(h)));
    const slots = await planSlots(ctx, config, sessions, request);
    planned.push(...slots);
    let served = false;
    try {
      if (index === 0 && request.beforeStart !== undefined) await request.beforeStart();
      await startNewContainers(ctx, config, slots, request);
      await waitUntilHealthy(ctx, config, slots, request.driver, request.signal, outcomes);
      served = true;
      await request.driver.switchTraffic(ctx, config, slots, request.signal);
      await stopOldContainers(ctx, config, slots, request.driver);
      switched.push(...slots);
    } catch (error) {
      await rollBack(ctx, config, [...slots, ...switched], new Set([...switched, ...(served ? slots : [])]), request.driver);
      ctx.output.emit({ type: "summary", rows: summaryRows(planned, request.version, outcomes, "rolled back") });
      throw error;
    }
    if (index < batches.length - 1 && config.boot.wait !== undefined) await sleep(config.boot.wait * 1000, request.signal);
  }
  ctx.output.emit({ type: "summary", rows: summaryRows(planned, request.version, outcomes, "ok") });
}

/** How one slot's wait for health ended: after how long, or with a failure. */
interface SlotOutcome {
  healthyMs?: number;
  failed?: boolean;
}

/** One row per host and role for the summary: previous → new version, time to healthy, result. */
function summaryRows(slots: readonly BootSlot[], version: string, outcomes: ReadonlyMap<BootSlot, SlotOutcome>, result: "ok" | "rolled back"): SummaryRow[] {
  return slots.map((slot) => {
    const outcome = outcomes.get(slot);
    const previous = slot.oldName === undefined ? undefined : slot.oldName === slot.replacedName ? version : slot.role.versionOf(slot.oldName);
    return {
      host: slot.host,
      role: slot.role.name,
      ...(previous === undefined ? {} : { previous }),
      version,
      ...(outcome?.healthyMs === undefined ? {} : { healthyMs: outcome.healthyMs }),
      result: outcome?.failed === true ? "failed" : result,
    };
  });
}

/** Hosts in groups of `boot.limit` (a count, or a percentage of all hosts, at least 1). */
export function bootBatches(config: Config, hosts: readonly string[]): string[][] {
  const limit = config.boot.limit;
  if (limit === undefined || hosts.length === 0) return hosts.length === 0 ? [] : [[...hosts]];
  const size =
    typeof limit === "string" && limit.endsWith("%")
      ? Math.max(1, Math.floor((config.allHosts.length * Number.parseFloat(limit)) / 100))
      : Math.max(1, Number(limit));
  const out: string[][] = [];
  for (let i = 0; i < hosts.length; i += size) out.push(hosts.slice(i, i + size));
  return out;
}

/** Reads what runs on each host and decides, per role there, which containers are old and new. */
async function planSlots(ctx: FlowContext, config: Config, sessions: readonly HostSession[], request: BootRequest): Promise<BootSlot[]> {
  const perHost = await Promise.all(
    sessions.map(async (session) => {
      const roles = request.roles.filter((r) => r.hosts.includes(session.host));
      // The app network goes in this round trip: a host without the proxy has nobody else to create it.
      const result = await session.run(chain(ensureDirectory(`${config.appDirectory}/env/roles`), ...ensureAppNetwork(config), listServiceContainers(config)));
      const rows = parseContainerRows(result.stdout);
      return Promise.all(roles.map((role) => planSlot(ctx, session, role, request, rows)));
    }),
  );
  return perHost.flat();
}

/**
 * More than one container of a role runs when a failed deploy could not remove its new one (its
 * host was unreachable, or its dockerd down): the proxy says which of them serves.
 */
async function planSlot(ctx: FlowContext, session: HostSession, role: Role, request: BootRequest, rows: readonly ContainerRow[]): Promise<BootSlot> {
  const running = runningOfRole(role, rows).map((r) => r.name);
  if (running.length < 2 || !role.proxied || request.driver.servingContainer === undefined) return slotFor(session, role, request.version, rows);
  const serving = await request.driver.servingContainer(session, role, running);
  const slot = slotFor(session, role, request.version, rows, serving);
  if (serving === undefined) {
    ctx.output.warn(
      `None of ${running.join(", ")} holds the proxy slot that serves ${role.name}; taking ${slot.oldName} as the previous version and stopping ${slot.strays?.join(", ")} with it`,
      session.host,
    );
  }
  return slot;
}

function runningOfRole(role: Role, rows: readonly ContainerRow[]): ContainerRow[] {
  return rows.filter((r) => r.role === role.name && (r.state === "running" || r.state === "restarting") && role.versionOf(r.name) !== undefined);
}

/**
 * `serving` names the container the proxy sends the role's traffic to, when the proxy can tell;
 * otherwise a container with the version being booted is taken as a failed deploy's leftover.
 */
export function slotFor(session: HostSession, role: Role, version: string, rows: readonly ContainerRow[], serving?: string): BootSlot {
  const newName = role.containerName(version);
  const existing = rows.find((r) => r.name === newName);
  const replacedName = existing === undefined ? undefined : `${newName}_replaced_${randomBytes(8).toString("hex")}`;
  const candidates = runningOfRole(role, rows);
  const running = candidates.find((r) => r.name === serving) ?? candidates.find((r) => r.name !== newName) ?? candidates[0];
  const nameOf = (row: ContainerRow): string | undefined => (row.name === newName ? replacedName : row.name);
  const oldName = running === undefined ? undefined : nameOf(running);
  const strays = candidates.filter((r) => r !== running).map((r) => nameOf(r)!);
  return { host: session.host, role, session, newName, oldName, replacedName, ...(strays.length === 0 ? {} : { strays }) };
}

async function startNewContainers(ctx: FlowContext, config: Config, slots: readonly BootSlot[], request: BootRequest): Promise<void> {
  ctx.output.phase(`Starting ${request.version} on ${describeSlots(slots)}`);
  await settleAll(
    slots.map(async (slot) => {
      const env = slot.role.env(slot.host);
      const steps: Cmd[] = [];
      // The env file travels on stdin in the same round trip as the `docker run` that reads it.
      const secrets = env.secrets.length > 0 ? envFileContent(config.secretValues(env)) : undefined;
      if (secrets !== undefined) steps.push(writeStdinToFile(config.roleEnvFile(slot.role), 0o600));
      if (slot.replacedName !== undefined) steps.push(renameContainer(slot.newName, slot.replacedName));
      steps.push(recordAudit(config, auditTags(ctx, config, slot.role.name), `Booted app version ${request.version}`));
      steps.push(
        runApp(config, slot.role, {
          version: request.version,
          host: slot.host,
          hostnameSuffix: randomBytes(6).toString("hex"),
          proxyArgs: request.driver.appRunArgs(config, slot.role),
        }),
      );
      await slot.session.run(combine(...steps), secrets === undefined ? {} : { stdin: secrets });
    }),
  );
}

/**
 * Proxied roles pass the proxy driver's probe (Caddy) or Docker's health check (Traefik); other
 * roles must report `healthy`, or keep running for `readiness_delay` without a health check.
 */
async function waitUntilHealthy(
  ctx: FlowContext,
  config: Config,
  slots: readonly BootSlot[],
  driver: ProxyDriver,
  signal: AbortSignal | undefined,
  outcomes: Map<BootSlot, SlotOutcome>,
): Promise<void> {
  if (ctx.dryRun) return;
  ctx.output.phase(`Waiting for ${describeSlots(slots)} to be healthy`);
  const started = Date.now();
  const settled = await Promise.allSettled(
    slots.map(async (slot) => {
      try {
        await (slot.role.proxied && driver.probe !== undefined ? driver.probe(ctx, config, slot, signal) : waitForSlot(config, slot, signal));
        outcomes.set(slot, { healthyMs: Date.now() - started });
      } catch (error) {
        outcomes.set(slot, { failed: true });
        throw error;
      }
    }),
  );
  throwFailures(settled.flatMap((o) => (o.status === "rejected" ? [o.reason as Error] : [])));
}

/** Every host and role that failed is reported, each with its own diagnosis; an interrupt or other error wins. */
function throwFailures(failures: readonly Error[]): void {
  if (failures.length === 0) return;
  const other = failures.find((f) => !(f instanceof BootError));
  if (other !== undefined) throw other;
  if (failures.length === 1) throw failures[0]!;
  const hints = [...new Set(failures.map((f) => (f as BootError).hint).filter((h): h is string => h !== undefined))];
  throw new BootError(`${failures.length} new containers did not become healthy:\n${failures.map((f) => f.message).join("\n")}`, {
    ...(hints.length === 0 ? {} : { hint: hints.join("; ") }),
  });
}

async function waitForSlot(config: Config, slot: BootSlot, signal?: AbortSignal): Promise<void> {
  const hc = slot.role.healthcheck;
  const timeoutMs = hc === undefined ? config.deployTimeout * 1000 : attemptsTimeoutMs(hc.maxAttempts, config.deployTimeout);
  const deadline = Date.now() + timeoutMs;
  let runningSince: number | undefined;
  for (;;) {
    const health = parseHealthStatus((await slot.session.run(healthStatus([slot.newName]), { tolerate: true })).stdout).get(slot.newName);
    const status = health?.status ?? "missing";
    if (hc !== undefined && status === "healthy") return;
    // A container that exited and was restarted by its restart policy (`restarting`, or running
    // again with a restart count) did not stay up, whatever its health check says meanwhile.
    if (status === "restarting" || (health?.restarts ?? 0) > 0) {
      throw await unhealthyError(slot, `exited after starting, restart count ${health?.restarts ?? 0}`, hc?.logLines ?? DIAGNOSIS_LOG_LINES);
    }
    if (hc === undefined && status === "running") {
      runningSince ??= Date.now();
      if (Date.now() - runningSince >= config.readinessDelay * 1000) return;
    } else if (hc === undefined) {
      runningSince = undefined;
    }
    if (status === "unhealthy" || status === "exited" || status === "dead" || status === "missing") {
      throw await unhealthyError(slot, status, hc?.logLines ?? DIAGNOSIS_LOG_LINES);
    }
    if (Date.now() >= deadline) throw await unhealthyError(slot, `still ${status} after ${Math.round(timeoutMs / 1000)}s`, hc?.logLines ?? DIAGNOSIS_LOG_LINES);
    await sleep(HEALTH_POLL_MS, signal);
  }
}

/** MRSK waited 1+2+…+max_attempts seconds; never less than deploy_timeout. */
function attemptsTimeoutMs(maxAttempts: number, deployTimeout: number): number {
  return Math.max((maxAttempts * (maxAttempts + 1)) / 2, deployTimeout) * 1000;
}

async function unhealthyError(slot: BootSlot, status: string, lines: number): Promise<BootError> {
  const diagnosis = parseDiagnosis((await slot.session.run(diagnoseContainer(slot.newName, lines), { tolerate: true })).stdout);
  return new BootError(`${slot.newName} on ${slot.host} did not become healthy (${status}); every host stays on the previous version\n${formatDiagnosis(diagnosis)}`, {
    hint: stateHint(diagnosis) ?? healthHint(slot),
  });
}

function healthHint(slot: BootSlot): string {
  const hc = slot.role.healthcheck;
  if (hc === undefined) return "the container exited; its log lines above say why";
  return hc.cmd === undefined
    ? `the check runs \`curl -fsS http://localhost:${hc.port}${hc.path}\` inside the container: does the app listen on ${hc.port}, answer ${hc.path} with 2xx, and does the image have curl? (set healthcheck.cmd otherwise)`
    : `the check runs \`${hc.cmd}\` inside the container`;
}

async function stopOldContainers(ctx: FlowContext, config: Config, slots: readonly BootSlot[], driver: ProxyDriver): Promise<void> {
  const old = slots.filter((s) => s.oldName !== undefined);
  if (old.length === 0) return;
  ctx.output.phase(`Stopping the previous version on ${describeSlots(old)}`);
  await settleAll(
    old.map((slot) => slot.session.run(combine(...[slot.oldName!, ...(slot.strays ?? [])].map((name) => stopContainer(name, driver.stopTimeout(config, slot.role)))))),
  );
}

/**
 * Makes sure the old containers run, then removes the new ones, on every slot, whatever fails. A new
 * container that may have served requests is stopped gracefully first, so they finish.
 */
async function rollBack(ctx: FlowContext, config: Config, slots: readonly BootSlot[], served: ReadonlySet<BootSlot>, driver: ProxyDriver): Promise<void> {
  if (slots.length === 0) return;
  ctx.output.phase(`Rolling back ${describeSlots(slots)} to the previous version`);
  await restoreTraffic(ctx, config, slots.filter((s) => served.has(s) && s.oldName !== undefined), driver);
  await Promise.all(
    slots.map(async (slot) => {
      const steps: Cmd[] = [];
      if (slot.oldName !== undefined) steps.push(startContainer(slot.oldName));
      if (served.has(slot)) steps.push(stopContainer(slot.newName, driver.stopTimeout(config, slot.role)));
      steps.push(removeContainer(slot.newName));
      if (slot.replacedName !== undefined) steps.push(renameContainer(slot.replacedName, slot.newName));
      try {
        await runOnceDockerAnswers(ctx, slot, chain(...steps));
      } catch (error) {
        ctx.output.warn(`Could not roll back ${slot.newName}: ${(error as Error).message}`, slot.host);
      }
    }),
  );
}

/** How long a rollback waits for a host's dockerd to come back (a restart, an upgrade) before giving up on that host. */
const DOCKER_WAIT_MS = 30_000;

/** A rollback step must not be lost to a dockerd restarting: it runs again until dockerd answers. */
async function runOnceDockerAnswers(ctx: FlowContext, slot: BootSlot, step: Cmd): Promise<void> {
  const deadline = Date.now() + DOCKER_WAIT_MS;
  for (let warned = false; ; warned = true) {
    const result = await slot.session.run(step, { tolerate: true });
    if (!dockerDaemonDown(result.stderr)) return;
    if (Date.now() >= deadline) throw new MrskError(`dockerd did not answer within ${DOCKER_WAIT_MS / 1000} s: ${result.stderr.trim().split("\n").pop()}`);
    if (!warned) ctx.output.warn(`dockerd does not answer; rolling back ${slot.newName} once it does`, slot.host);
    await sleep(1000);
  }
}

/** The old containers run again and take the traffic back before the new ones stop. */
async function restoreTraffic(ctx: FlowContext, config: Config, slots: readonly BootSlot[], driver: ProxyDriver): Promise<void> {
  if (slots.length === 0 || driver.restoreTraffic === undefined) return;
  try {
    await settleAll(slots.map((slot) => runOnceDockerAnswers(ctx, slot, startContainer(slot.oldName!))));
    await driver.restoreTraffic(ctx, config, slots);
  } catch (error) {
    ctx.output.warn(`Could not point traffic back at the previous version: ${(error as Error).message}`);
  }
}

function describeSlots(slots: readonly BootSlot[]): string {
  const byHost = new Map<string, string[]>();
  for (const s of slots) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s.role.name]);
  return [...byHost].map(([host, roles]) => `${host} (${roles.join(", ")})`).join(", ");
}

