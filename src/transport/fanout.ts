// Running one step on many hosts at once. Every host finishes its step, even when another fails:
// stopping a host halfway (say, between stopping an old container and starting the new one) is
// worse than letting it complete.
import pLimit from "p-limit";
import { MrskError, MultiHostError } from "../errors.js";
import type { HostSession, Transport } from "./types.js";

export interface FanoutOptions {
  /** How many hosts work at the same time; unlimited when absent. */
  readonly limit?: number;
}

export type HostOutcome<T> =
  | { readonly host: string; readonly ok: true; readonly value: T }
  | { readonly host: string; readonly ok: false; readonly error: Error };

/** Runs `step` on every host, waits for all, and returns the values in host order; throws MultiHostError with every failure. */
export async function onHosts<T>(
  transport: Transport,
  hosts: readonly string[],
  step: (session: HostSession) => Promise<T>,
  options: FanoutOptions = {},
): Promise<T[]> {
  const values: T[] = [];
  const failures: Error[] = [];
  for (const outcome of await onHostsSettled(transport, hosts, step, options)) {
    if (outcome.ok) values.push(outcome.value);
    else failures.push(namingHost(outcome.host, outcome.error));
  }
  if (failures.length > 0) throw new MultiHostError(failures);
  return values;
}

/** Runs `step` on every host and reports each host's value or error, e.g. to show unreachable hosts beside the answers of the others. */
export async function onHostsSettled<T>(
  transport: Transport,
  hosts: readonly string[],
  step: (session: HostSession) => Promise<T>,
  options: FanoutOptions = {},
): Promise<HostOutcome<T>[]> {
  const limit = pLimit(options.limit ?? Number.POSITIVE_INFINITY);
  return Promise.all(
    hosts.map((host) =>
      limit(async (): Promise<HostOutcome<T>> => {
        try {
          return { host, ok: true, value: await step(await transport.session(host)) };
        } catch (error) {
          return { host, ok: false, error: asError(error) };
        }
      }),
    ),
  );
}

/** Errors from the transport name their host; anything else gets the host put in front. */
export function namingHost(host: string, error: Error): Error {
  if ("host" in error) return error;
  return new MrskError(`${host}: ${error.message}`, {
    cause: error,
    ...(error instanceof MrskError && error.hint !== undefined ? { hint: error.hint } : {}),
  });
}

function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
