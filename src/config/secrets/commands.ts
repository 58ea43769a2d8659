import { MrskError } from "../../errors.js";
import { lookupAdapter } from "./adapters/index.js";
import type { SecretValues } from "./adapters/base.js";
import { rubyShellescape } from "./shell-words.js";
import type { AdapterEnvironment } from "./vendor-cli.js";

// `secrets fetch` and `secrets extract` as Kamal's `Kamal::Cli::Secrets` does them. `--inline` is
// how `.kamal/secrets` calls them: fetch's JSON is shell-escaped so that `$SECRETS` stays one word
// when a later `$(kamal secrets extract NAME $SECRETS)` is split into arguments.

export interface FetchRequest {
  readonly adapter: string;
  readonly account?: string | undefined;
  readonly from?: string | undefined;
  readonly names: readonly string[];
  readonly inline?: boolean;
}

export function fetchSecrets(request: FetchRequest, context: AdapterEnvironment): string {
  const adapter = lookupAdapter(request.adapter, context);
  const json = secretsJson(adapter.fetch(request.names, { account: request.account, from: request.from }));
  return request.inline === true ? rubyShellescape(json) : json;
}

/** JSON in the vault's order (a plain object would move keys like "123" to the front). */
export function secretsJson(values: SecretValues): string {
  return `{${[...values].map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(",")}}`;
}

/** The value of `name`, or of the first key ending in `/name`. */
export function extractSecret(name: string, json: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new MrskError(`Could not read the secrets given to extract ${name}: not the JSON that \`secrets fetch\` prints`, {
      hint: "write `SECRETS=$(kamal secrets fetch …)` on one line and `NAME=$(kamal secrets extract NAME $SECRETS)` after it",
    });
  }
  const entries = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? Object.entries(parsed) : [];
  const exact = entries.find(([key]) => key === name)?.[1];
  const value = exact ?? entries.find(([key]) => key.endsWith(`/${name}`))?.[1];
  if (value === undefined || value === null) {
    throw new MrskError(`Could not find secret ${name}`, { hint: `the fetched secrets are: ${entries.map(([key]) => key).join(", ") || "none"}` });
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}
