import { SecretsAdapterError, VendorCli, isObject, type AdapterEnvironment } from "../vendor-cli.js";
import { prefixedSecrets, SecretsAdapter, type SecretValues } from "./base.js";

// Kamal's AWS Secrets Manager adapter: one `aws secretsmanager batch-get-secret-value
// --secret-id-list ID… [--profile ACCOUNT] --output json`. A secret holding a JSON object gives one
// key per field (`NAME/FIELD`); any other secret is one key, its JSON scalar or its raw text.

export class AwsSecretsManagerAdapter extends SecretsAdapter {
  readonly name = "aws_secrets_manager";
  private readonly aws: VendorCli;

  constructor(context: AdapterEnvironment) {
    super(context);
    this.aws = new VendorCli("aws", "AWS CLI", "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html", context);
  }

  override get requiresAccount(): boolean {
    return false;
  }

  protected checkDependencies(): void {
    this.aws.checkInstalled();
  }

  protected login(): undefined {
    return undefined;
  }

  protected fetchSecrets(secrets: readonly string[], options: { from: string | undefined; account: string | undefined }): SecretValues {
    const ids = prefixedSecrets(secrets, options.from);
    const args = ["secretsmanager", "batch-get-secret-value", "--secret-id-list", ...ids];
    if (options.account !== undefined) args.push("--profile", options.account);
    args.push("--output", "json");
    const got = this.aws.run(args);
    if (got.status !== 0) {
      throw new SecretsAdapterError(`Could not read ${ids.join(", ")} from AWS Secrets Manager`, {
        hint: `check your credentials with \`aws sts get-caller-identity${options.account === undefined ? "" : ` --profile ${options.account}`}\``,
      });
    }
    const response = this.aws.json(got.stdout, ids.join(", "));
    const body = isObject(response) ? response : {};
    const errors = Array.isArray(body.Errors) ? body.Errors.filter(isObject) : [];
    if (errors.length > 0) throw new SecretsAdapterError(errors.map((e) => `${String(e.SecretId)}: ${String(e.Message)}`).join(" "));

    const results: SecretValues = new Map();
    for (const secret of Array.isArray(body.SecretValues) ? body.SecretValues.filter(isObject) : []) {
      const name = String(secret.Name);
      const text = typeof secret.SecretString === "string" ? secret.SecretString : "";
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        results.set(name, text);
        continue;
      }
      if (isObject(parsed)) for (const [key, value] of Object.entries(parsed)) results.set(`${name}/${key}`, stringify(value));
      else results.set(name, stringify(parsed));
    }
    return results;
  }
}

/** Kamal's `stringify_secret_value`: strings as they are, anything else as JSON (`5432`, `true`, `null`). */
function stringify(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
