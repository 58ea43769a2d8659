import type { Config } from "../config/model.js";
import { PROXY_NETWORK } from "./caddy.js";
import { ensureNetwork } from "./docker.js";
import type { Cmd } from "./shell.js";

// The docker network app containers share with the proxy and the accessories (Kamal 2's `kamal`
// network). Every host that runs a container on it gets it (`ensureNetwork`), whatever runs there:
// a host of a role without a proxy, or of an accessory only, has no proxy to create it.

/** The network app containers, one-off containers and (by default) accessories join; none under Traefik, as in MRSK. */
export function appNetwork(config: Config): string | undefined {
  return config.proxyDriver === "caddy" ? PROXY_NETWORK : undefined;
}

/** `ensureNetwork` of the app network, as a step to fold into a host's first command; no step under Traefik. */
export function ensureAppNetwork(config: Config): Cmd[] {
  const network = appNetwork(config);
  return network === undefined ? [] : [ensureNetwork(network)];
}
