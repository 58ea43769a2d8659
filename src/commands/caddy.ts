import { createHash } from "node:crypto";
import type { Config } from "../config/model.js";
import type { ProxyRunSettings, ProxySettings } from "../config/proxy.js";
import type { Role } from "../config/role.js";
import { docker, ensureNetwork, optionArgs } from "./docker.js";
import { any, chain, cmd, combine, expandable, glob, interpolate, mergeStderr, pipe, silence, silenceStderr, type Cmd } from "./shell.js";

// The Caddy proxy: one `mrsk-proxy` container per host on the `mrsk` docker network, reading a
// main Caddyfile that imports one site file per app role. Each role has two upstream slots, a and
// b, each a network alias that one container holds for its whole life; a marker file, checked by
// Caddy on every request, says which slot serves. A deploy gives the new container the free slot
// and flips the marker: the Caddy config does not change (a reload would close idle keep-alive
// client connections), and no alias moves while traffic goes to it.

export const PROXY_CONTAINER = "mrsk-proxy";
export const PROXY_NETWORK = "mrsk";
const DATA_VOLUME = "mrsk-proxy-data";
const CONFIG_VOLUME = "mrsk-proxy-config";
/** Where the proxy's files live on the host (relative to the SSH user's home) and in the container. */
const HOST_DIR = ".mrsk/proxy";
const CONTAINER_DIR = "/etc/caddy";
/** First line of every file mrsk writes for Caddy: what it is, and a digest of the rest. */
const HEADER = "# mrsk";

export function proxyDirectory(): string {
  return HOST_DIR;
}

/** Directory of the slot markers, on the host (relative to the SSH user's home) and in the container. */
const LIVE_DIR = `${HOST_DIR}/live`;
const CONTAINER_LIVE_DIR = `${CONTAINER_DIR}/live`;
/** How the proxy's admin API is reached from the host: through `docker exec`, with the image's wget. */
const ADMIN_UPSTREAMS_URL = "http://localhost:2019/reverse_proxy/upstreams";

export type Slot = "a" | "b";

export function otherSlot(slot: Slot): Slot {
  return slot === "a" ? "b" : "a";
}

/**
 * The DNS name a slot's container carries on the `mrsk` network. Slot a keeps the name of the one
 * alias earlier versions moved between containers, so a container they started serves on.
 */
export function slotAlias(role: Role, slot: Slot): string {
  return slot === "a" ? `${role.containerPrefix}.live` : `${role.containerPrefix}.live-b`;
}

/** The slot's upstream set: the addresses Caddy balances over (one container per host today). */
export function slotUpstreams(role: Role, slot: Slot, appPort: number): string[] {
  return [`${slotAlias(role, slot)}:${appPort}`];
}

/** While this file exists, the role's traffic goes to slot b; otherwise to slot a. */
function slotMarkerName(role: Role): string {
  return `${role.containerPrefix}.b`;
}

export function slotMarkerPath(role: Role): string {
  return `${LIVE_DIR}/${slotMarkerName(role)}`;
}

export function siteFileName(role: Role): string {
  return `${role.containerPrefix}.caddy`;
}

export function siteFilePath(role: Role): string {
  return `${HOST_DIR}/sites/${siteFileName(role)}`;
}

export function certificateDirectory(role: Role): string {
  return `${HOST_DIR}/certs/${role.containerPrefix}`;
}

// --- file contents ---

/** Header line recording who owns a file and the digest of its body, so unchanged files are not rewritten. */
function withHeader(fields: Record<string, string>, body: string): string {
  const digest = createHash("sha256").update(body).digest("hex").slice(0, 16);
  const described = Object.entries({ ...fields, digest })
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return `${HEADER} ${described}\n${body}`;
}

export function mainCaddyfile(run: ProxyRunSettings): string {
  const globals = ["\tadmin localhost:2019", ...(run.tlsIssuer === "internal" ? ["\tlocal_certs"] : [])];
  return withHeader({ file: "main" }, `{\n${globals.join("\n")}\n}\n\nimport ${CONTAINER_DIR}/sites/*.caddy\n`);
}

export interface SiteOptions {
  /** Serve a 503 page with this message instead of the app (maintenance mode). */
  maintenance?: string | undefined;
}

export function siteFile(config: Config, role: Role, settings: ProxySettings, options: SiteOptions = {}): string {
  const addresses = siteAddresses(settings);
  const lines: string[] = [`${addresses.join(", ")} {`];
  if (settings.ssl.kind === "custom") {
    const dir = `${CONTAINER_DIR}/certs/${role.containerPrefix}`;
    lines.push(`\ttls ${dir}/cert.pem ${dir}/key.pem`);
  }
  if (settings.maxRequestBody !== undefined) lines.push("\trequest_body {", `\t\tmax_size ${settings.maxRequestBody}`, "\t}");
  const handler = options.maintenance === undefined ? slotRouting(role, settings) : maintenancePage(settings, options.maintenance);
  if (settings.pathPrefixes.length === 0) lines.push(...handler.map((l) => `\t${l}`));
  else {
    for (const prefix of settings.pathPrefixes) {
      lines.push(`\t${settings.stripPathPrefix ? "handle_path" : "handle"} ${prefix.replace(/\/$/, "")}* {`, ...handler.map((l) => `\t\t${l}`), "\t}");
    }
  }
  lines.push("}");
  return withHeader(
    {
      service: config.service,
      role: role.name,
      destination: config.destination ?? "",
      hosts: settings.hosts.length === 0 ? "*" : settings.hosts.join(","),
      ...(options.maintenance === undefined ? {} : { maintenance: "on" }),
    },
    lines.join("\n") + "\n",
  );
}

/** `:80` for a catch-all; `http://host` without TLS; `host` with TLS (Caddy redirects HTTP) plus `http://host` when redirects are off. */
function siteAddresses(settings: ProxySettings): string[] {
  if (settings.hosts.length === 0) return [":80"];
  if (settings.ssl.kind === "none") return settings.hosts.map((h) => `http://${h}`);
  return settings.sslRedirect ? settings.hosts : [...settings.hosts, ...settings.hosts.map((h) => `http://${h}`)];
}

/** Routes to the slot the marker names; Caddy checks the marker file on every request, without a reload. */
function slotRouting(role: Role, settings: ProxySettings): string[] {
  return [
    "@slot_b file {",
    `\troot ${CONTAINER_LIVE_DIR}`,
    `\ttry_files /${slotMarkerName(role)}`,
    "}",
    "handle @slot_b {",
    ...reverseProxy(slotUpstreams(role, "b", settings.appPort), settings).map((l) => `\t${l}`),
    "}",
    "handle {",
    ...reverseProxy(slotUpstreams(role, "a", settings.appPort), settings).map((l) => `\t${l}`),
    "}",
  ];
}

function reverseProxy(upstreams: readonly string[], settings: ProxySettings): string[] {
  return [
    `reverse_proxy ${upstreams.join(" ")} {`,
    // One connection per request (nothing idle to a container that is about to stop), and a
    // failed dial is retried for a while (a container restarting, a slow host).
    "\tlb_try_duration 10s",
    "\tlb_try_interval 50ms",
    "\ttransport http {",
    "\t\tkeepalive off",
    `\t\tresponse_header_timeout ${settings.responseTimeoutSeconds}s`,
    "\t}",
    ...(settings.forwardHeaders ? ["\ttrusted_proxies 0.0.0.0/0 ::/0"] : []),
    "}",
  ];
}

function maintenancePage(settings: ProxySettings, message: string): string[] {
  const text = message === "" ? "This site is down for maintenance. Please try again soon." : message;
  return [
    // Load balancers in front keep the host while it is in maintenance.
    `handle ${settings.healthcheck.path} {`,
    "\trespond 200",
    "}",
    "handle {",
    '\theader Content-Type "text/html; charset=utf-8"',
    `\trespond "<!DOCTYPE html><title>Maintenance</title><p>${caddyLiteralHtml(text)}</p>" 503`,
    "}",
  ];
}

/**
 * User text as HTML that Caddy passes through untouched: Caddy replaces `{$NAME}` when it reads
 * the file and `{placeholders}` (`{env.HOME}`) when it answers, and a Caddyfile string has its own
 * escapes, so every character Caddy or HTML gives a meaning becomes a character reference.
 */
export function caddyLiteralHtml(text: string): string {
  return text.replace(/[{}$\\"`'<>&\u0000-\u001f\u007f]/g, (c) => `&#${c.codePointAt(0)};`);
}

/** The header fields of a file mrsk wrote (from the `# mrsk …` first line), or undefined. */
export function parseHeader(line: string): Record<string, string> | undefined {
  if (!line.startsWith(`${HEADER} `)) return undefined;
  return Object.fromEntries(
    line
      .slice(HEADER.length + 1)
      .split(" ")
      .map((kv) => kv.split("=") as [string, string])
      .filter(([k]) => k !== ""),
  );
}

// --- commands ---

/**
 * Creates the network and the proxy's directories, then prints whether the proxy runs (`true`,
 * `false`, or nothing when there is none) and the header line of every file mrsk put there.
 */
export function prepareProxyHost(): Cmd {
  return chain(
    ensureNetwork(PROXY_NETWORK),
    cmd("mkdir", "-p", `${HOST_DIR}/sites`, `${HOST_DIR}/certs`, LIVE_DIR),
    silenceStderr(docker("container", "inspect", "--format", "{{.State.Running}}", PROXY_CONTAINER)),
    silenceStderr(cmd("head", "-qn1", `${HOST_DIR}/Caddyfile`, glob(`${HOST_DIR}/sites/*.caddy`))),
    // The files may not exist yet; what was read is the answer.
    cmd("true"),
  );
}

export interface ProxyHostState {
  running: boolean | undefined;
  /** Header fields of the main Caddyfile, if mrsk wrote one. */
  main: Record<string, string> | undefined;
  /** Header fields of each site file, keyed by file name. */
  sites: Map<string, Record<string, string>>;
}

export function parseProxyHostState(stdout: string): ProxyHostState {
  const state: ProxyHostState = { running: undefined, main: undefined, sites: new Map() };
  for (const line of stdout.split("\n").map((l) => l.trim())) {
    if (line === "true" || line === "false") state.running = line === "true";
    const header = parseHeader(line);
    if (header === undefined) continue;
    if (header.file === "main") state.main = header;
    else if (header.service !== undefined && header.role !== undefined) {
      const prefix = [header.service, header.role, header.destination].filter((p) => p !== undefined && p !== "").join("-");
      state.sites.set(`${prefix}.caddy`, header);
    }
  }
  return state;
}

export function runProxy(run: ProxyRunSettings): Cmd {
  const publish = run.publish
    ? bindings(run.bindIps).flatMap((ip) => ["--publish", `${ip}${run.httpPort}:80`, "--publish", `${ip}${run.httpsPort}:443`])
    : [];
  return docker(
    "run",
    "--name",
    PROXY_CONTAINER,
    "--network",
    PROXY_NETWORK,
    "--detach",
    "--restart",
    "unless-stopped",
    ...publish,
    "--volume",
    expandable(`\${PWD}/${HOST_DIR}:${CONTAINER_DIR}`),
    "--volume",
    `${DATA_VOLUME}:/data`,
    "--volume",
    `${CONFIG_VOLUME}:/config`,
    "--env",
    "XDG_DATA_HOME=/data",
    "--env",
    "XDG_CONFIG_HOME=/config",
    "--label",
    "mrsk-proxy=true",
    "--log-opt",
    `max-size=${run.logMaxSize}`,
    ...optionArgs(run.options),
    run.image,
    "caddy",
    "run",
    "--config",
    `${CONTAINER_DIR}/Caddyfile`,
    "--adapter",
    "caddyfile",
  );
}

function bindings(ips: readonly string[]): string[] {
  return ips.length === 0 ? [""] : ips.map((ip) => (ip.includes(":") ? `[${ip}]:` : `${ip}:`));
}

/** Starts the proxy container, running a new one when there is none. */
export function startOrRunProxy(run: ProxyRunSettings): Cmd {
  return any(silenceStderr(docker("container", "start", PROXY_CONTAINER)), runProxy(run));
}

/** Applies changed files without a restart (a reload closes idle keep-alive client connections). */
export function reloadProxy(): Cmd {
  return docker("exec", PROXY_CONTAINER, "caddy", "reload", "--config", `${CONTAINER_DIR}/Caddyfile`, "--adapter", "caddyfile");
}

export function stopProxy(): Cmd {
  return docker("container", "stop", PROXY_CONTAINER);
}

export function startProxy(): Cmd {
  return docker("container", "start", PROXY_CONTAINER);
}

export function removeProxy(): Cmd {
  return chain(docker("container", "rm", "--force", PROXY_CONTAINER), silence(docker("volume", "rm", DATA_VOLUME, CONFIG_VOLUME)));
}

/**
 * One health probe of a new container from the host, over the `mrsk` network: prints
 * `<status code> <seconds> <redirect url>`; curl exits 7 when refused, 28 on timeout.
 */
export function probeContainer(name: string, port: number, path: string, timeoutSeconds: number): Cmd {
  const address = docker("inspect", "--format", `{{(index .NetworkSettings.Networks "${PROXY_NETWORK}").IPAddress}}`, name);
  return cmd(
    "curl",
    "--silent",
    "--show-error",
    "--output",
    "/dev/null",
    "--max-time",
    String(timeoutSeconds),
    "--write-out",
    "%{http_code} %{time_total} %{redirect_url}",
    interpolate("http://", address, `:${port}${path}`),
  );
}

/** The container's state (`running`, `exited`, …), to tell a crashed container from a slow one. */
export function diagnoseProbe(name: string): Cmd {
  return docker("container", "inspect", "--format", "{{.State.Status}}", name);
}

/** Prints the slot markers on the host (`app-web.b` …), to tell which slot serves each role. */
export function listSlotMarkers(): Cmd {
  return chain(silenceStderr(cmd("ls", "-1", LIVE_DIR)), cmd("true"));
}

export function servingSlot(role: Role, markers: string): Slot {
  return markers.split("\n").some((l) => l.trim() === slotMarkerName(role)) ? "b" : "a";
}

/**
 * Points the role's traffic at a slot: takes effect with Caddy's next request, without a reload.
 * The marker directory is made here too: a host set up by a release before slots has none.
 */
export function routeToSlot(role: Role, slot: Slot): Cmd {
  return slot === "b" ? combine(cmd("mkdir", "-p", LIVE_DIR), cmd("touch", slotMarkerPath(role))) : cmd("rm", "-f", slotMarkerPath(role));
}

/** A healthy container rejoins the network carrying the slot's alias, then the slot takes the traffic. */
export function switchToSlot(role: Role, slot: Slot, name: string): Cmd {
  return combine(
    docker("network", "disconnect", PROXY_NETWORK, name),
    docker("network", "connect", "--alias", slotAlias(role, slot), PROXY_NETWORK, name),
    routeToSlot(role, slot),
  );
}

/** The network aliases of a container on the `mrsk` network, as JSON. */
export function containerAliases(name: string): Cmd {
  return docker("inspect", "--format", `{{json (index .NetworkSettings.Networks "${PROXY_NETWORK}").Aliases}}`, name);
}

/** Each container's name and its aliases on the `mrsk` network (`/name ["alias",…]` per line; `null` when it is not on it). */
export function containersAliases(names: readonly string[]): Cmd {
  return docker("inspect", "--format", `{{.Name}} {{json (index .NetworkSettings.Networks "${PROXY_NETWORK}").Aliases}}`, ...names);
}

/** Parses `containersAliases`: container name → aliases JSON. */
export function parseContainersAliases(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const match = /^\/(\S+) (.*)$/.exec(line.trim());
    if (match !== null) out.set(match[1]!, match[2]!);
  }
  return out;
}

/** The slot a container's aliases put it in, if any. */
export function slotOfAliases(role: Role, aliasesJson: string): Slot | undefined {
  let aliases: unknown;
  try {
    aliases = JSON.parse(aliasesJson);
  } catch {
    return undefined;
  }
  if (!Array.isArray(aliases)) return undefined;
  if (aliases.includes(slotAlias(role, "b"))) return "b";
  return aliases.includes(slotAlias(role, "a")) ? "a" : undefined;
}

/** Caddy's count of requests in flight per upstream address, from its admin API inside the container. */
export function upstreamRequests(): Cmd {
  return docker("exec", PROXY_CONTAINER, "wget", "-qO-", ADMIN_UPSTREAMS_URL);
}

/** Undefined when the answer is not the admin API's list (another proxy image, an error page). */
export function parseUpstreamRequests(json: string): Map<string, number> | undefined {
  let rows: unknown;
  try {
    rows = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows)) return undefined;
  const out = new Map<string, number>();
  for (const row of rows as Array<{ address?: unknown; num_requests?: unknown }>) {
    if (typeof row.address === "string" && typeof row.num_requests === "number") out.set(row.address, row.num_requests);
  }
  return out;
}

export function proxyDetails(): Cmd {
  return docker("ps", "--all", "--filter", `name=^${PROXY_CONTAINER}$`, "--format", "{{.Names}}\t{{.Status}}\t{{.Image}}\t{{.Ports}}");
}

export function proxyLogs(options: { lines?: number; since?: string; grep?: string }): Cmd {
  const logs = mergeStderr(docker("logs", ...(options.since === undefined ? [] : ["--since", options.since]), "--tail", String(options.lines ?? 100), PROXY_CONTAINER));
  return options.grep === undefined ? logs : pipe(logs, cmd("grep", "--", options.grep));
}

export function followProxyLogs(grep: string | undefined): Cmd {
  const logs = mergeStderr(docker("logs", "--tail", "10", "--follow", PROXY_CONTAINER));
  return grep === undefined ? logs : pipe(logs, cmd("grep", "--line-buffered", "--", grep));
}

export function restartProxy(): Cmd {
  return docker("container", "restart", PROXY_CONTAINER);
}

/** Removes the container, its volumes (certificates) and its files. */
export function removeProxyEverything(): Cmd {
  return chain(removeProxy(), cmd("rm", "-rf", HOST_DIR));
}
