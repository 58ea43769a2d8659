import { MrskError } from "../errors.js";
import { matches } from "../glob.js";
import type { Config } from "./model.js";
import type { Role } from "./role.js";

// `-h/--hosts`, `-r/--roles` and `-p/--primary` narrow what a command acts on, as in Kamal:
// hosts = (given hosts or all) ∩ hosts of (given roles or all); `*` wildcards are allowed.

export interface Filters {
  hosts?: string | undefined;
  roles?: string | undefined;
  primary?: boolean | undefined;
}

export interface Selection {
  /** Selected hosts, primary role's hosts first. */
  hosts: string[];
  /** Roles with at least one selected host. */
  roles: Role[];
  primaryHost: string;
  /** Whether any filter was given (commands that refuse partial runs check this). */
  filtered: boolean;
}

export function select(config: Config, filters: Filters, universe: readonly string[] = config.allHosts): Selection {
  const hostPatterns = splitList(filters.hosts, "--hosts");
  const rolePatterns = splitList(filters.roles, "--roles");

  const roles = rolePatterns === undefined ? [...config.roles] : config.roles.filter((r) => rolePatterns.some((p) => matches(p, r.name)));
  if (rolePatterns !== undefined && roles.length === 0) {
    throw new MrskError(`No role matches --roles ${filters.roles}`, { hint: `roles are: ${config.roles.map((r) => r.name).join(", ")}` });
  }

  let hosts = hostPatterns === undefined ? [...universe] : universe.filter((h) => hostPatterns.some((p) => matches(p, h)));
  if (hostPatterns !== undefined && hosts.length === 0) {
    throw new MrskError(`No host matches --hosts ${filters.hosts}`, { hint: `hosts are: ${universe.join(", ")}` });
  }
  if (rolePatterns !== undefined) {
    const roleHosts = new Set(roles.flatMap((r) => r.hosts));
    hosts = hosts.filter((h) => roleHosts.has(h));
  }

  const primaryHost =
    hostPatterns !== undefined
      ? hosts[0]
      : rolePatterns !== undefined
        ? (roles.find((r) => r === config.primaryRole) ?? roles[0])?.hosts[0]
        : config.primaryHost;
  if (primaryHost === undefined || hosts.length === 0) {
    throw new MrskError("The --hosts and --roles given select no host", { hint: "check which hosts run the roles with `mrsk config`" });
  }
  if (filters.primary === true) hosts = [primaryHost];

  const selectedRoles = roles.filter((r) => r.hosts.some((h) => hosts.includes(h)));
  return { hosts, roles: selectedRoles, primaryHost, filtered: hostPatterns !== undefined || rolePatterns !== undefined || filters.primary === true };
}

// A filter that names nothing is a mistake (an unset variable in `-h "$HOSTS"`), never "all hosts".
function splitList(value: string | undefined, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0) {
    throw new MrskError(`${flag} ${JSON.stringify(value)} names no ${flag === "--hosts" ? "host" : "role"}`, {
      hint: `give a comma-separated list, or leave out ${flag} to act on all of them`,
    });
  }
  return items;
}
