import { readEnv, type EnvSpec } from "./env.js";
import { isMapping } from "./merge.js";

// Every place of deploy.yml that names a secret, read from the shape-validated document. The
// loader reads each of them once, so each value is masked before any command runs; a value read
// anywhere else still goes through `Secrets.get`, which masks it first.

export interface SecretReference {
  /** Where the name is written, like `builder.secrets[0]`. */
  readonly path: string;
  /** The secret's name in `.env`, the environment or the secrets file. */
  readonly name: string;
}

type Doc = Record<string, unknown>;

export function secretReferences(doc: Doc): SecretReference[] {
  const refs: SecretReference[] = [];
  const add = (path: string, name: unknown): void => {
    if (name !== undefined && name !== null && String(name) !== "") refs.push({ path, name: String(name) });
  };
  const env = (path: string, spec: EnvSpec): void => spec.secrets.forEach((ref, i) => add(`${path}.secret[${i}]`, ref.secret));
  /** `username`/`password`: a one-element list names a secret, a scalar is the value itself. */
  const credentials = (path: string, registry: unknown): void => {
    if (!isMapping(registry)) return;
    for (const key of ["username", "password"]) {
      const value = registry[key];
      if (Array.isArray(value)) add(`${path}.${key}`, value[0]);
    }
  };
  const certificates = (path: string, proxy: unknown): void => {
    if (!isMapping(proxy) || !isMapping(proxy.ssl)) return;
    add(`${path}.ssl.certificate_pem`, proxy.ssl.certificate_pem);
    add(`${path}.ssl.private_key_pem`, proxy.ssl.private_key_pem);
  };
  const names = (path: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    (Array.isArray(value) ? value : [value]).forEach((name, i) => add(`${path}[${i}]`, name));
  };

  env("env", readEnv(doc.env));
  if (isMapping(doc.env) && isMapping(doc.env.tags)) {
    for (const [tag, spec] of Object.entries(doc.env.tags)) env(`env.tags.${tag}`, readEnv(spec));
  }
  if (isMapping(doc.servers)) {
    for (const [role, raw] of Object.entries(doc.servers)) {
      if (!isMapping(raw)) continue;
      env(`servers.${role}.env`, readEnv(raw.env));
      certificates(`servers.${role}.proxy`, raw.proxy);
    }
  }
  credentials("registry", doc.registry);
  if (isMapping(doc.builder)) names("builder.secrets", doc.builder.secrets);
  if (isMapping(doc.ssh)) names("ssh.key_data", doc.ssh.key_data);
  if (isMapping(doc.traefik)) env("traefik.env", readEnv(doc.traefik.env));
  certificates("proxy", doc.proxy);
  if (isMapping(doc.accessories)) {
    for (const [name, raw] of Object.entries(doc.accessories)) {
      if (!isMapping(raw)) continue;
      env(`accessories.${name}.env`, readEnv(raw.env));
      credentials(`accessories.${name}.registry`, raw.registry);
      certificates(`accessories.${name}.proxy`, raw.proxy);
    }
  }
  return refs;
}
