import { SecretsAdapterError, VendorCli, isObject, rubySplit, type AdapterEnvironment } from "../vendor-cli.js";
import { prefixedSecrets, SecretsAdapter, type SecretValues } from "./base.js";

// Kamal's Google Cloud Secret Manager adapter (`gcp`): `gcloud auth list --format=json` must list
// an account, else `gcloud auth login`; then per secret `gcloud secrets versions access VERSION
// --secret=NAME [--project=P] [--account=USER] [--impersonate-service-account=SA] --format=json`,
// whose payload is base64. A name is `[PROJECT/]NAME[/VERSION]`; keys are `PROJECT/NAME`.
// --account is `USER` or `USER|SERVICE_ACCOUNT[,DELEGATE…]`, `default` meaning gcloud's own.

export class GcpSecretManagerAdapter extends SecretsAdapter {
  readonly name = "gcp_secret_manager";
  private readonly gcloud: VendorCli;

  constructor(context: AdapterEnvironment) {
    super(context);
    this.gcloud = new VendorCli("gcloud", "gcloud CLI", "https://cloud.google.com/sdk/docs/install", context);
  }

  protected override get accountHint(): string {
    return "(`default` for gcloud's active account, or USER, or USER|SERVICE_ACCOUNT to impersonate)";
  }

  protected checkDependencies(): void {
    this.gcloud.checkInstalled();
  }

  protected login(): undefined {
    if (this.loggedIn()) return undefined;
    const whatToRun = "run `gcloud auth login` (or `gcloud auth activate-service-account --key-file=KEY.json`)";
    this.gcloud.requireTerminalToSignIn("gcloud CLI has no signed-in account", whatToRun);
    this.gcloud.run(["auth", "login"]);
    if (!this.loggedIn()) throw new SecretsAdapterError("could not login to gcloud", { hint: whatToRun });
    return undefined;
  }

  protected fetchSecrets(secrets: readonly string[], options: { from: string | undefined; account: string | undefined }): SecretValues {
    const [user = "default", serviceAccount] = splitOnce(options.account ?? "default", "|");
    const results: SecretValues = new Map();
    for (const secret of prefixedSecrets(secrets, options.from)) {
      const parts = rubySplit(secret, "/");
      if (parts.length === 1) parts.unshift("default");
      const [project = "default", name = "", version = "latest"] = parts;
      const itemName = `${project}/${name}`;
      const args = ["secrets", "versions", "access", version, `--secret=${name}`];
      if (project !== "default") args.push(`--project=${project}`);
      if (user !== "default") args.push(`--account=${user}`);
      if (serviceAccount !== undefined) args.push(`--impersonate-service-account=${serviceAccount}`);
      args.push("--format=json");
      const got = this.gcloud.run(args);
      if (got.status !== 0) throw new SecretsAdapterError(`Could not read ${itemName} from Google Secret Manager`, { hint: `run \`gcloud ${args.join(" ")}\` to see why` });
      const response = this.gcloud.json(got.stdout.trim(), itemName);
      const payload = isObject(response) && isObject(response.payload) ? response.payload : {};
      results.set(itemName, Buffer.from(typeof payload.data === "string" ? payload.data : "", "base64").toString("utf8"));
    }
    return results;
  }

  private loggedIn(): boolean {
    const listed = this.gcloud.json(this.gcloud.run(["auth", "list", "--format=json"]).stdout, "`gcloud auth list`");
    return Array.isArray(listed) && listed.length > 0;
  }
}

/** Ruby's `split(sep, 2)`. */
function splitOnce(text: string, separator: string): string[] {
  const at = text.indexOf(separator);
  return at === -1 ? [text] : [text.slice(0, at), text.slice(at + separator.length)];
}
