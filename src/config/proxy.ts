import { deepMerge, isMapping } from "./merge.js";
import type { Config } from "./model.js";
import type { Role } from "./role.js";

// The Caddy driver's settings for one role: the root `proxy:` section with the role's own `proxy:`
// mapping merged over it (Kamal 2's rule), with defaults filled in.

export interface ProxySettings {
  /** Host names routed to the role; empty means every request that no other app claims. */
  hosts: string[];
  appPort: number;
  ssl: { kind: "none" } | { kind: "acme" } | { kind: "custom"; certificateSecret: string; privateKeySecret: string };
  sslRedirect: boolean;
  forwardHeaders: boolean;
  responseTimeoutSeconds: number;
  pathPrefixes: string[];
  stripPathPrefix: boolean;
  healthcheck: { path: string; intervalMs: number; timeoutSeconds: number };
  maxRequestBody: number | undefined;
}

export interface ProxyRunSettings {
  image: string;
  httpPort: number;
  httpsPort: number;
  publish: boolean;
  bindIps: string[];
  logMaxSize: string;
  tlsIssuer: "acme" | "internal";
  options: Readonly<Record<string, unknown>>;
}

export const CADDY_IMAGE = "caddy:2";
/** How often the new container is probed when `proxy.healthcheck.interval` is not set. */
const DEFAULT_PROBE_INTERVAL_MS = 250;

export function proxySettings(config: Config, role: Role): ProxySettings {
  const merged = (role.proxy === undefined ? config.proxy : deepMerge(config.proxy, role.proxy)) as Record<string, unknown>;
  const hc = isMapping(merged.healthcheck) ? merged.healthcheck : {};
  const buffering = isMapping(merged.buffering) ? merged.buffering : {};
  const ssl = merged.ssl;
  const host = merged.host === undefined ? [] : [String(merged.host)];
  const hosts = Array.isArray(merged.hosts) ? merged.hosts.map(String) : [];
  const prefixes = [...(merged.path_prefix === undefined ? [] : [String(merged.path_prefix)]), ...(Array.isArray(merged.path_prefixes) ? merged.path_prefixes.map(String) : [])];
  return {
    hosts: [...host, ...hosts],
    appPort: numberOr(merged.app_port, 80),
    ssl: isMapping(ssl)
      ? { kind: "custom", certificateSecret: String(ssl.certificate_pem), privateKeySecret: String(ssl.private_key_pem) }
      : ssl === true
        ? { kind: "acme" }
        : { kind: "none" },
    sslRedirect: merged.ssl_redirect !== false,
    forwardHeaders: merged.forward_headers === true,
    responseTimeoutSeconds: numberOr(merged.response_timeout, 30),
    pathPrefixes: prefixes,
    stripPathPrefix: merged.strip_path_prefix !== false,
    healthcheck: {
      path: hc.path === undefined ? "/up" : String(hc.path),
      intervalMs: hc.interval === undefined ? DEFAULT_PROBE_INTERVAL_MS : Number(hc.interval) * 1000,
      timeoutSeconds: numberOr(hc.timeout, 5),
    },
    maxRequestBody: buffering.max_request_body === undefined ? undefined : Number(buffering.max_request_body),
  };
}

/** How the shared proxy container runs: the same for every app on a host. */
export function proxyRunSettings(config: Config): ProxyRunSettings {
  const run = isMapping(config.proxy.run) ? config.proxy.run : {};
  // `repository`/`version` name kamal-proxy in Kamal configs; only an explicit repository replaces Caddy.
  const image =
    run.image !== undefined
      ? String(run.image)
      : run.repository !== undefined
        ? `${run.registry === undefined ? "" : `${String(run.registry)}/`}${String(run.repository)}:${run.version === undefined ? "latest" : String(run.version)}`
        : CADDY_IMAGE;
  return {
    image,
    httpPort: numberOr(run.http_port, 80),
    httpsPort: numberOr(run.https_port, 443),
    publish: run.publish !== false,
    bindIps: Array.isArray(run.bind_ips) ? run.bind_ips.map(String) : [],
    logMaxSize: run.log_max_size === undefined ? "10m" : String(run.log_max_size),
    tlsIssuer: run.tls_issuer === "internal" ? "internal" : "acme",
    options: isMapping(run.options) ? run.options : {},
  };
}

function numberOr(value: unknown, fallback: number): number {
  return value === undefined || value === null ? fallback : Number(value);
}
