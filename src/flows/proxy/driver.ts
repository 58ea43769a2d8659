import type { Config } from "../../config/model.js";
import type { Role } from "../../config/role.js";
import type { Word } from "../../commands/shell.js";
import type { HostSession } from "../../transport/types.js";
import type { FlowContext } from "../context.js";

// What the boot flow needs from a proxy: how app containers join it, making sure it runs, and
// moving traffic to new containers once they are healthy.

/** One role on one host during a boot. */
export interface BootSlot {
  readonly host: string;
  readonly role: Role;
  readonly session: HostSession;
  /** The container being booted. */
  readonly newName: string;
  /** The container serving before, if any (stopped once the new one is healthy). */
  readonly oldName: string | undefined;
  /** A container that already had `newName` (same version booted again), renamed out of the way. */
  readonly replacedName: string | undefined;
  /** Other running containers of the role (left by a deploy that could not clean up), stopped with the old one. */
  readonly strays?: readonly string[];
}

export interface ProxyDriver {
  readonly name: "traefik" | "caddy";
  /** Extra `docker run` words for a proxied role's containers. */
  appRunArgs(config: Config, role: Role): Word[];
  /** Starts the proxy on those of `hosts` where it is not running. */
  ensureRunning(ctx: FlowContext, config: Config, hosts: readonly string[]): Promise<void>;
  /**
   * Before a boot that does not start the proxy (redeploy, rollback, `app boot`): makes the hosts'
   * proxy files the ones this release switches with (a host set up by an earlier release may route
   * otherwise), without starting a proxy that is not running.
   */
  refreshRoutes?(ctx: FlowContext, config: Config, hosts: readonly string[]): Promise<void>;
  /**
   * Of several running containers of a role on a host, the one the proxy sends traffic to; undefined
   * when none of them is.
   */
  servingContainer?(session: HostSession, role: Role, candidates: readonly string[]): Promise<string | undefined>;
  /**
   * Waits until a proxied role's new container can take traffic, probing it the way the proxy
   * will reach it. Without it, Docker's health status decides (the Traefik way).
   */
  probe?(ctx: FlowContext, config: Config, slot: BootSlot, signal?: AbortSignal): Promise<void>;
  /**
   * Called once every new container of a boot batch is healthy, before any old one stops; returns
   * when the old containers have no request in flight left (or their drain time ran out).
   */
  switchTraffic(ctx: FlowContext, config: Config, slots: readonly BootSlot[], signal?: AbortSignal): Promise<void>;
  /**
   * Rolling back: points traffic back at the slots' old containers (running again) and drains the
   * new ones. Without it, the old containers take traffic again by running.
   */
  restoreTraffic?(ctx: FlowContext, config: Config, slots: readonly BootSlot[], signal?: AbortSignal): Promise<void>;
  /** Seconds an old container of `role` gets to finish its requests when stopped; undefined is Docker's 10 s. */
  stopTimeout(config: Config, role: Role): number | undefined;
}
