import type { RegistrySettings } from "../config/model.js";
import { docker } from "./docker.js";
import type { Cmd } from "./shell.js";

// Registry login reads the password from stdin, so it is never on a command line or in `ps`.

export function registryLogin(registry: RegistrySettings): Cmd {
  return docker("login", registry.server, "--username", registry.username ?? "", "--password-stdin");
}

export function registryLogout(registry: RegistrySettings): Cmd {
  return docker("logout", registry.server);
}
