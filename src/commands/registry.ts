import type { Config, RegistrySettings } from "../config/model.js";
import { PROXY_CONTAINER } from "./caddy.js";
import { docker } from "./docker.js";
import { TRAEFIK_CONTAINER } from "./traefik.js";
import type { Cmd } from "./shell.js";

// Registry login reads the password from stdin, so it is never on a command line or in `ps`.

export function registryLogin(registry: RegistrySettings): Cmd {
  return docker("login", registry.server, "--username", registry.username ?? "", "--password-stdin");
}

export function registryLogout(registry: RegistrySettings): Cmd {
  return docker("logout", registry.server);
}

/** Every container on the host: image, `service` and `destination` labels, name. */
export function listContainerImages(): Cmd {
  return docker("ps", "--all", "--format", '{{.Image}}\t{{.Label "service"}}\t{{.Label "destination"}}\t{{.Names}}');
}

/** mrsk's proxies carry no service label; they are no service's reason to keep a registry login. */
const PROXY_CONTAINERS = new Set([TRAEFIK_CONTAINER, PROXY_CONTAINER]);

/** The registry an image reference comes from (`docker.io` when it names none), as Docker reads it. */
export function registryOf(image: string): string {
  const [first, ...rest] = image.split("/");
  return rest.length > 0 && first !== undefined && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

/**
 * Other services (or unlabelled images) with containers on the host that run images from the
 * configured registry: they need the host's login to it. The proxy (Traefik or Caddy) does not
 * count: `remove` deletes this service's own, and a shared one's users are counted themselves.
 */
export function otherServicesUsingRegistry(config: Config, stdout: string): string[] {
  const registry = config.registry.server ?? "docker.io";
  const accessories = config.accessories.map((a) => a.service);
  const ours = (service: string, destination: string): boolean =>
    (service === config.service && destination === (config.destination ?? "")) || accessories.includes(service);
  const users = stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => line.split("\t"))
    .filter(([image = "", service = "", destination = "", name = ""]) => registryOf(image) === registry && !ours(service, destination) && !(service === "" && PROXY_CONTAINERS.has(name)))
    .map(([image = "", service = ""]) => (service === "" ? image : service));
  return [...new Set(users)];
}
