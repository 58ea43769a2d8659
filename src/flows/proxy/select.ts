import type { Config } from "../../config/model.js";
import { MrskError } from "../../errors.js";
import type { ProxyDriver } from "./driver.js";
import { traefikDriver } from "./traefik.js";

export function proxyDriver(config: Config): ProxyDriver {
  if (config.proxyDriver === "traefik") return traefikDriver;
  throw new MrskError("This configuration selects the Caddy proxy driver (a `proxy:` section), which this mrsk release cannot deploy yet", {
    hint: "use a `traefik:` section (the MRSK proxy) for now",
  });
}
