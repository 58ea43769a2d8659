import { isBlank, SecretsAdapterError, type AdapterEnvironment } from "../vendor-cli.js";

// Kamal's `Kamal::Secrets::Adapters::Base`: require --account when the vault needs one, check the
// CLI is installed, sign in, then fetch. Results keep the order the vault returned them in.

export type SecretValues = Map<string, string | null>;

interface FetchOptions {
  readonly account?: string | undefined;
  readonly from?: string | undefined;
}

export abstract class SecretsAdapter {
  constructor(protected readonly context: AdapterEnvironment) {}

  /** The name `--adapter` takes, for messages. */
  abstract readonly name: string;

  get requiresAccount(): boolean {
    return true;
  }

  /** What --account is for this vault, for the error when it is missing. */
  protected get accountHint(): string {
    return "(the account, user or email it signs in with)";
  }

  fetch(secrets: readonly string[], options: FetchOptions = {}): SecretValues {
    if (this.requiresAccount && isBlank(options.account)) {
      throw new SecretsAdapterError("Missing required option '--account'", { hint: `the ${this.name} adapter needs --account ${this.accountHint}` });
    }
    this.checkDependencies();
    const session = this.login(options.account ?? "");
    return this.fetchSecrets(secrets, { from: options.from, account: options.account, session });
  }

  protected abstract checkDependencies(): void;

  /** Signs in when needed; returns a session token when the CLI hands one out. */
  protected abstract login(account: string): string | undefined;

  protected abstract fetchSecrets(
    secrets: readonly string[],
    options: { from: string | undefined; account: string | undefined; session: string | undefined },
  ): SecretValues;
}

/** Kamal's `prefixed_secrets`: `--from` joined in front of every name. */
export function prefixedSecrets(secrets: readonly string[], from: string | undefined): string[] {
  return secrets.map((secret) => (from === undefined ? secret : `${from}/${secret}`));
}
