import { ConnectionError } from "../errors.js";

/** Where to connect and as whom. */
export interface SshEndpoint {
  readonly user: string;
  readonly host: string;
  readonly port: number;
}

/** The parts of `[user@]host[:port]` that are written. */
export interface HostAddress {
  readonly user: string | undefined;
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * Reads `[user@]host[:port]` (IPv6 as `[::1]:2222` or bare `::1`), filling what is missing from
 * `defaults`.
 */
export function parseHostAddress(spec: string, defaults: { user: string; port: number }): SshEndpoint {
  const address = splitHostAddress(spec);
  return { user: address.user ?? defaults.user, host: address.host, port: address.port ?? defaults.port };
}

/** Reads `[user@]host[:port]`, leaving out what is not written. */
export function splitHostAddress(spec: string): HostAddress {
  const at = spec.lastIndexOf("@");
  const user = at >= 0 ? spec.slice(0, at) : undefined;
  const rest = at >= 0 ? spec.slice(at + 1) : spec;
  const { host, port } = splitHostPort(rest);
  if (user === "" || host === "") throw invalid(spec, "expected [user@]host[:port]");
  return { user, host, port: port === undefined ? undefined : parsePort(spec, port) };
}

function splitHostPort(text: string): { host: string; port: string | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] };
  const parts = text.split(":");
  if (parts.length === 2) return { host: parts[0]!, port: parts[1] };
  return { host: text, port: undefined };
}

function parsePort(spec: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw invalid(spec, `"${text}" is not a port number`);
  return port;
}

function invalid(spec: string, message: string): ConnectionError {
  return new ConnectionError(spec, `invalid host address: ${message}`, {
    hint: "Write hosts as host, host:port or user@host:port (IPv6: [::1]:2222).",
  });
}
