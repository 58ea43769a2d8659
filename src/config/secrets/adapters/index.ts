import { SecretsAdapterError, type AdapterEnvironment } from "../vendor-cli.js";
import { AwsSecretsManagerAdapter } from "./aws-secrets-manager.js";
import type { SecretsAdapter } from "./base.js";
import { BitwardenSecretsManagerAdapter } from "./bitwarden-secrets-manager.js";
import { BitwardenAdapter } from "./bitwarden.js";
import { DopplerAdapter } from "./doppler.js";
import { EnpassAdapter } from "./enpass.js";
import { GcpSecretManagerAdapter } from "./gcp-secret-manager.js";
import { LastPassAdapter } from "./last-pass.js";
import { OnePasswordAdapter } from "./one-password.js";
import { PassboltAdapter } from "./passbolt.js";

// `--adapter NAME` as Kamal 2.12 spells it: the class name in snake case, plus the aliases
// `1password`, `lastpass`, `gcp` and `bitwarden-sm`.

const ADAPTERS: Readonly<Record<string, new (context: AdapterEnvironment) => SecretsAdapter>> = {
  one_password: OnePasswordAdapter,
  bitwarden: BitwardenAdapter,
  bitwarden_secrets_manager: BitwardenSecretsManagerAdapter,
  last_pass: LastPassAdapter,
  aws_secrets_manager: AwsSecretsManagerAdapter,
  gcp_secret_manager: GcpSecretManagerAdapter,
  doppler: DopplerAdapter,
  enpass: EnpassAdapter,
  passbolt: PassboltAdapter,
};

const ALIASES: Readonly<Record<string, string>> = {
  "1password": "one_password",
  lastpass: "last_pass",
  gcp: "gcp_secret_manager",
  "bitwarden-sm": "bitwarden_secrets_manager",
};

const ADAPTER_NAMES = ["1password", "bitwarden", "bitwarden-sm", "lastpass", "aws_secrets_manager", "gcp", "doppler", "enpass", "passbolt"];

export function lookupAdapter(name: string, context: AdapterEnvironment): SecretsAdapter {
  const canonical = ALIASES[name.toLowerCase()] ?? name;
  const Adapter = Object.hasOwn(ADAPTERS, canonical) ? ADAPTERS[canonical] : undefined;
  if (Adapter === undefined) throw new SecretsAdapterError(`Unknown secrets adapter: ${name}`, { hint: `use one of ${ADAPTER_NAMES.join(", ")}` });
  return new Adapter(context);
}
