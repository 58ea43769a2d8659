import type { Config } from "../../config/model.js";
import { caddyDriver } from "./caddy.js";
import type { ProxyDriver } from "./driver.js";
import { traefikDriver } from "./traefik.js";

export function proxyDriver(config: Config): ProxyDriver {
  return config.proxyDriver === "traefik" ? traefikDriver : caddyDriver;
}
