// Checks that look at more than one value of the merged document: required keys, accessory
// hosts, proxy/traefik conflicts, proxy SSL, registry credentials. They read the raw document
// defensively (a value of the wrong type is skipped here; the schema reports it), so every
// problem is found in one pass even when the schema has rejected other parts.
import type { Era } from "./schema-era.js";
import { isPlainObject, quote } from "./schema-values.js";

export interface Finding {
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
}

export interface CheckResult {
  readonly errors: Finding[];
  readonly warnings: Finding[];
}

type Doc = Record<string, unknown>;

const ACCESSORY_HOST_KEYS = ["host", "hosts", "role", "roles", "tag", "tags"];
const LOCAL_REGISTRY = /^(?:localhost|127\.0\.0\.1)(?::\d+)?$/;
const SECRET_NAME_LIKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
const SECRET_WORDS = /PASSWORD|TOKEN|SECRET|KEY/;

export function checkShape(doc: Doc, era: Era): CheckResult {
  const result: CheckResult = { errors: [], warnings: [] };
  checkRequired(doc, era, result);
  checkRegistry(doc, era, result);
  checkAccessories(doc, result);
  checkProxyChoice(doc, result);
  checkProxies(doc, result);
  checkBuilder(doc, result);
  checkImageRegistryPrefix(doc, result);
  warnMappingOptions(doc, result);
  return result;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function registryServer(doc: Doc): string | undefined {
  const registry = doc["registry"];
  const server = isPlainObject(registry) ? registry["server"] : undefined;
  return typeof server === "string" ? server : undefined;
}

function isLocalRegistry(server: string | undefined): boolean {
  return server !== undefined && LOCAL_REGISTRY.test(server);
}

function passwordSecret(era: Era): string {
  return era === "kamal" ? "KAMAL_REGISTRY_PASSWORD" : "MRSK_REGISTRY_PASSWORD";
}

function checkRequired(doc: Doc, era: Era, result: CheckResult): void {
  if (isBlank(doc["service"])) {
    result.errors.push({
      path: "service",
      message: "is required",
      hint: "the service name prefixes every container name, e.g. `service: my-app`",
    });
  }
  if (isBlank(doc["image"]) && !isLocalRegistry(registryServer(doc))) {
    result.errors.push({
      path: "image",
      message: "is required",
      hint: "name the image repository without a tag, e.g. `image: my-user/my-app`",
    });
  }
  if (!isSet(doc["servers"]) && !isPlainObject(doc["accessories"])) {
    result.errors.push({
      path: "servers",
      message: "is required",
      hint: "list the hosts to deploy to, e.g. `servers: [192.168.0.1]`",
    });
  }
  if (!isSet(doc["registry"])) {
    result.errors.push({
      path: "registry",
      message: "is required",
      hint: `add \`registry:\` with \`username\` and \`password: [${passwordSecret(era)}]\` (Docker Hub, or \`server:\` for another registry), or \`server: localhost:5555\` for a local registry without credentials`,
    });
  }
}

function checkRegistry(doc: Doc, era: Era, result: CheckResult): void {
  const registry = doc["registry"];
  if (!isPlainObject(registry)) return;
  const server = registryServer(doc);
  if (isLocalRegistry(server)) return;
  const where = server === undefined ? "Docker Hub" : `the registry ${server}`;
  if (isBlank(registry["username"])) {
    result.errors.push({
      path: "registry.username",
      message: `is required to log in to ${where}`,
      hint: "write the user name, or `[SECRET_NAME]` to look it up in the secrets",
    });
  }
  const password = registry["password"];
  if (isBlank(password)) {
    result.errors.push({
      path: "registry.password",
      message: `is required to log in to ${where}`,
      hint: `write \`password: [${passwordSecret(era)}]\` to look it up in the secrets`,
    });
  } else if (typeof password === "string" && SECRET_NAME_LIKE.test(password) && SECRET_WORDS.test(password)) {
    result.warnings.push({
      path: "registry.password",
      message: `the text ${quote(password)} is used literally as the password`,
      hint: `to look it up in the secrets write \`password: [${password}]\``,
    });
  }
}

function checkAccessories(doc: Doc, result: CheckResult): void {
  for (const [name, accessory] of entries(doc["accessories"])) {
    if (!isPlainObject(accessory)) continue;
    const at = `accessories.${name}`;
    const hostKeys = ACCESSORY_HOST_KEYS.filter((key) => isSet(accessory[key]));
    if (hostKeys.length === 0) {
      result.errors.push({
        path: at,
        message: "needs one of host, hosts, role, roles, tag or tags",
        hint: "add `host: <address>`, or `roles: [web]` to run it on the hosts of a role",
      });
    } else if (hostKeys.length > 1) {
      result.errors.push({
        path: at,
        message: `sets ${hostKeys.map((key) => `"${key}"`).join(" and ")}: specify exactly one of host, hosts, role, roles, tag or tags`,
        hint: "keep one of them",
      });
    }
    if (isBlank(accessory["image"])) {
      result.errors.push({ path: `${at}.image`, message: "is required", hint: "e.g. `image: postgres:16`" });
    }
  }
}

function checkProxyChoice(doc: Doc, result: CheckResult): void {
  const hasProxy = isSet(doc["proxy"]);
  const pickOne = "pick one: `traefik:` keeps the MRSK Traefik proxy, `proxy:` selects the Caddy driver";
  if (hasProxy && isSet(doc["traefik"])) {
    result.errors.push({ path: "traefik", message: "`traefik:` and `proxy:` are both set", hint: pickOne });
  }
  for (const [name, role] of roles(doc)) {
    if (isPlainObject(role) && isSet(role["traefik"]) && isSet(role["proxy"])) {
      result.errors.push({ path: `servers.${name}.traefik`, message: "`traefik:` and `proxy:` are both set", hint: pickOne });
    }
  }
  if (hasProxy && isSet(doc["healthcheck"])) {
    result.errors.push({
      path: "healthcheck",
      message: "the top-level `healthcheck:` belongs to the Traefik setup and does not apply with `proxy:`",
      hint: "move path/interval/timeout to `proxy.healthcheck`, e.g. `proxy: { healthcheck: { path: /up, interval: 3, timeout: 5 } }`",
    });
  }
}

function checkProxies(doc: Doc, result: CheckResult): void {
  const root = doc["proxy"];
  if (isPlainObject(root)) checkProxy(root, "proxy", result);
  for (const [name, role] of roles(doc)) {
    const proxy = isPlainObject(role) ? role["proxy"] : undefined;
    if (!isPlainObject(proxy)) continue;
    checkHostChoice(proxy, `servers.${name}.proxy`, result);
    // The role's proxy settings are merged over the root's; only its own `ssl` is its own problem.
    if (isSet(proxy["ssl"])) checkSsl(deepMerge(isPlainObject(root) ? root : {}, proxy), `servers.${name}.proxy`, result);
  }
  for (const [name, accessory] of entries(doc["accessories"])) {
    const proxy = isPlainObject(accessory) ? accessory["proxy"] : undefined;
    if (isPlainObject(proxy)) checkProxy(proxy, `accessories.${name}.proxy`, result);
  }
}

function checkProxy(proxy: Doc, at: string, result: CheckResult): void {
  checkHostChoice(proxy, at, result);
  checkSsl(proxy, at, result);
}

function checkHostChoice(proxy: Doc, at: string, result: CheckResult): void {
  if (isSet(proxy["host"]) && isSet(proxy["hosts"])) {
    result.errors.push({
      path: `${at}.hosts`,
      message: "set either `host` or `hosts`, not both",
      hint: "`hosts: [a.example.com, b.example.com]` covers several names",
    });
  }
}

function checkSsl(proxy: Doc, at: string, result: CheckResult): void {
  const ssl = proxy["ssl"];
  const hasHost = !isBlank(proxy["host"]) || (Array.isArray(proxy["hosts"]) && proxy["hosts"].length > 0) || typeof proxy["hosts"] === "string";
  if (ssl === true && !hasHost) {
    result.errors.push({
      path: `${at}.ssl`,
      message: "Must set a host to enable automatic SSL",
      hint: `add \`${at}.host: app.example.com\` (the certificate is issued for that name), or set \`ssl: false\``,
    });
  }
  if (isPlainObject(ssl)) {
    if (!hasHost) {
      result.errors.push({
        path: `${at}.ssl`,
        message: "Must set a host to use a custom SSL certificate",
        hint: `add \`${at}.host: app.example.com\` or \`${at}.hosts\``,
      });
    }
    const [certificate, key] = [ssl["certificate_pem"], ssl["private_key_pem"]];
    if (!isBlank(certificate) && isBlank(key)) {
      result.errors.push({
        path: `${at}.ssl.private_key_pem`,
        message: "is required when certificate_pem is set",
        hint: "name the secret holding the private key",
      });
    }
    if (isBlank(certificate) && !isBlank(key)) {
      result.errors.push({
        path: `${at}.ssl.certificate_pem`,
        message: "is required when private_key_pem is set",
        hint: "name the secret holding the certificate",
      });
    }
  }
}

function checkBuilder(doc: Doc, result: CheckResult): void {
  const builder = doc["builder"];
  if (isPlainObject(builder) && builder["local"] === false && isBlank(builder["remote"])) {
    result.errors.push({
      path: "builder.local",
      message: "cannot be false without `builder.remote`",
      hint: "set `remote: ssh://user@builder-host`, or remove `local: false`",
    });
  }
}

function checkImageRegistryPrefix(doc: Doc, result: CheckResult): void {
  const image = doc["image"];
  const server = registryServer(doc);
  if (typeof image !== "string" || server === undefined || !image.startsWith(`${server}/`)) return;
  result.warnings.push({
    path: "image",
    message: `starts with the registry server ${quote(server)}`,
    hint: `the registry server is prefixed to the image, so it becomes ${quote(`${server}/${image}`)}; write ${quote(image.slice(server.length + 1))} if that is not intended`,
  });
}

function warnMappingOptions(doc: Doc, result: CheckResult): void {
  const places: [string, unknown][] = [["traefik.options", getIn(doc, "traefik", "options")]];
  places.push(["proxy.run.options", getIn(doc, "proxy", "run", "options")]);
  for (const [name, role] of roles(doc)) {
    places.push([`servers.${name}.options`, getIn(role, "options")]);
    places.push([`servers.${name}.proxy.run.options`, getIn(role, "proxy", "run", "options")]);
  }
  for (const [name, accessory] of entries(doc["accessories"])) {
    places.push([`accessories.${name}.options`, getIn(accessory, "options")]);
    places.push([`accessories.${name}.proxy.run.options`, getIn(accessory, "proxy", "run", "options")]);
  }
  for (const [at, options] of places) {
    for (const [flag, value] of entries(options)) {
      if (!isPlainObject(value)) continue;
      const owner = at.slice(0, at.lastIndexOf("."));
      result.warnings.push({
        path: `${at}.${flag}`,
        message: "a mapping is not a docker flag value; ignored",
        hint:
          flag === "env" || flag === "labels"
            ? `did you mean "${owner}.${flag}"?`
            : "a docker option takes a string, a list of strings, or true",
      });
    }
  }
}

function entries(value: unknown): [string, unknown][] {
  return isPlainObject(value) ? Object.entries(value) : [];
}

function roles(doc: Doc): [string, unknown][] {
  return entries(doc["servers"]);
}

function getIn(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function deepMerge(base: Doc, overlay: Doc): Doc {
  const merged: Doc = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}
