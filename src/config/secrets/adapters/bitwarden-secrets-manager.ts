import { SecretsAdapterError, VendorCli, isObject, stringOrNull, type AdapterEnvironment } from "../vendor-cli.js";
import { prefixedSecrets, SecretsAdapter, type SecretValues } from "./base.js";

// Kamal's Bitwarden Secrets Manager adapter (`bitwarden-sm`): `bws project list` checks the access
// token (BWS_ACCESS_TOKEN); `all` lists every secret, `PROJECT/all` a project's, anything else is
// a secret id read with `bws secret get ID`. Keys are the secrets' own keys.

export class BitwardenSecretsManagerAdapter extends SecretsAdapter {
  readonly name = "bitwarden-sm";
  private readonly bws: VendorCli;

  constructor(context: AdapterEnvironment) {
    super(context);
    this.bws = new VendorCli("bws", "Bitwarden Secrets Manager CLI", "https://bitwarden.com/help/secrets-manager-cli/", context);
  }

  override get requiresAccount(): boolean {
    return false;
  }

  protected checkDependencies(): void {
    this.bws.checkInstalled();
  }

  protected login(): undefined {
    if (this.bws.run(["project", "list"]).status !== 0) {
      throw new SecretsAdapterError("Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?", {
        hint: "export BWS_ACCESS_TOKEN with a machine account's access token, and check `bws project list` works",
      });
    }
    return undefined;
  }

  protected fetchSecrets(secrets: readonly string[], options: { from: string | undefined }): SecretValues {
    if (secrets.length === 0) {
      throw new SecretsAdapterError("You must specify what to retrieve from Bitwarden Secrets Manager", { hint: "name secret ids, `all`, or `PROJECT_ID/all`" });
    }
    const names = prefixedSecrets(secrets, options.from);
    const results: SecretValues = new Map();
    const list = listCommand(names);
    if (list === undefined) {
      for (const id of names) {
        const got = this.bws.run(["secret", "get", id]);
        if (got.status !== 0) throw new SecretsAdapterError(`Could not read ${id} from Bitwarden Secrets Manager`, { hint: `check the id with \`bws secret get ${id}\`` });
        const secret = this.bws.json(got.stdout, id);
        if (isObject(secret)) results.set(String(secret.key), stringOrNull(secret.value));
      }
      return results;
    }
    const listed = this.bws.run(list);
    if (listed.status !== 0) throw new SecretsAdapterError("Could not read secrets from Bitwarden Secrets Manager", { hint: `run \`bws ${list.join(" ")}\` to see why` });
    const items = this.bws.json(listed.stdout, "the secret list");
    for (const secret of Array.isArray(items) ? items : []) if (isObject(secret)) results.set(String(secret.key), stringOrNull(secret.value));
    return results;
  }
}

function listCommand(names: readonly string[]): string[] | undefined {
  if (names.length !== 1) return undefined;
  const only = names[0]!;
  if (only === "all") return ["secret", "list"];
  if (only.endsWith("/all")) return ["secret", "list", only.split("/all")[0]!];
  return undefined;
}
