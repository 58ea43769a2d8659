// Which generation of deploy.yml a document is written for. MRSK 0.13 and Kamal 1 files
// (traefik, healthcheck, builder.multiarch) are "mrsk"; a file using any key that only Kamal 2
// understands is "kamal". The era decides how strict the schema is about unknown keys.
import { isPlainObject } from "./schema-values.js";

export type Era = "mrsk" | "kamal";

// `aliases` is not among them: mrsk offers aliases to MRSK configs too, and they change no meaning.
const KAMAL_ONLY_TOP_LEVEL = [
  "proxy",
  "deploy_timeout",
  "drain_timeout",
  "stop_timeout",
  "secrets_path",
  "error_pages_path",
  "hooks_output",
  "output",
] as const;
const KAMAL_ONLY_BUILDER = ["arch", "driver", "provenance", "sbom", "pack"] as const;
const KAMAL_ONLY_ROLE = ["proxy", "stop_timeout"] as const;
const KAMAL_ONLY_ACCESSORY = ["network", "proxy", "service", "registry", "role", "tag", "tags"] as const;

/**
 * The key paths that mark `doc` as a Kamal 2 configuration:
 * - top level: `proxy`, `deploy_timeout`, `drain_timeout`, `stop_timeout`,
 *   `secrets_path`, `error_pages_path`, `hooks_output`, `output`;
 * - `builder.arch`, `builder.driver`, `builder.provenance`, `builder.sbom`, `builder.pack`,
 *   `builder.remote` written as a string (Kamal 1 wrote `{arch, host}`) and `builder.local`
 *   written as true/false (Kamal 1 wrote `{arch, host}`);
 * - `boot.parallel_roles`;
 * - `env.tags`, and a host written as a mapping (`- host: tag`) in `servers`;
 * - a role's `proxy` or `stop_timeout`;
 * - an accessory's `network`, `proxy`, `service`, `registry`, `role`, `tag` or `tags`, and
 *   accessory `files`/`directories` entries written as mappings.
 */
export function kamalSignals(doc: unknown): string[] {
  if (!isPlainObject(doc)) return [];
  const found: string[] = [];
  const present = (object: unknown, key: string): boolean => isPlainObject(object) && object[key] != null;

  for (const key of KAMAL_ONLY_TOP_LEVEL) if (present(doc, key)) found.push(key);

  const builder = doc["builder"];
  if (isPlainObject(builder)) {
    for (const key of KAMAL_ONLY_BUILDER) if (present(builder, key)) found.push(`builder.${key}`);
    if (typeof builder["remote"] === "string") found.push("builder.remote");
    if (typeof builder["local"] === "boolean") found.push("builder.local");
  }
  if (present(doc["boot"], "parallel_roles")) found.push("boot.parallel_roles");

  const env = doc["env"];
  if (present(env, "tags")) found.push("env.tags");

  const servers = doc["servers"];
  const roles: [string, unknown][] = Array.isArray(servers)
    ? [["", servers]]
    : isPlainObject(servers)
      ? Object.entries(servers)
      : [];
  for (const [name, role] of roles) {
    const at = name === "" ? "servers" : `servers.${name}`;
    const hosts = Array.isArray(role) ? role : isPlainObject(role) ? role["hosts"] : undefined;
    if (Array.isArray(hosts) && hosts.some(isPlainObject)) found.push(Array.isArray(role) ? at : `${at}.hosts`);
    for (const key of KAMAL_ONLY_ROLE) if (present(role, key)) found.push(`${at}.${key}`);
  }

  const accessories = doc["accessories"];
  if (isPlainObject(accessories)) {
    for (const [name, accessory] of Object.entries(accessories)) {
      if (!isPlainObject(accessory)) continue;
      for (const key of KAMAL_ONLY_ACCESSORY) if (present(accessory, key)) found.push(`accessories.${name}.${key}`);
      for (const key of ["files", "directories"]) {
        const paths = accessory[key];
        if (Array.isArray(paths) && paths.some(isPlainObject)) found.push(`accessories.${name}.${key}`);
      }
    }
  }
  return found;
}

/** "kamal" when the document uses any Kamal-2-only key (see `kamalSignals`), else "mrsk". */
export function detectEra(doc: unknown): Era {
  return kamalSignals(doc).length > 0 ? "kamal" : "mrsk";
}
