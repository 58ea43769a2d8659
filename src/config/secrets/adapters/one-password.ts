import { SecretsAdapterError, VendorCli, isBlank, isObject, rubySplit, stringOrNull, type AdapterEnvironment } from "../vendor-cli.js";
import { prefixedSecrets, SecretsAdapter, type SecretValues } from "./base.js";

// Kamal's 1Password adapter: `op item get ITEM --vault V --format json --account A [--session S]
// [--fields label=a,label=b]`, one call per item; keys are the fields' `op://` references.

export class OnePasswordAdapter extends SecretsAdapter {
  readonly name = "1password";
  private readonly op: VendorCli;

  constructor(context: AdapterEnvironment) {
    super(context);
    this.op = new VendorCli("op", "1Password CLI", "https://developer.1password.com/docs/cli/get-started/", context);
  }

  protected checkDependencies(): void {
    this.op.checkInstalled();
  }

  protected login(account: string): string | undefined {
    if (this.op.run(["account", "get", "--account", account], { quiet: true }).status === 0) return undefined;
    const whatToRun = `run \`eval $(op signin --account ${account})\` first, or set OP_SERVICE_ACCOUNT_TOKEN`;
    this.op.requireTerminalToSignIn(`1Password CLI (op) is not signed in to account ${account}`, whatToRun);
    const signin = this.op.run(["signin", "--account", account, "--force", "--raw"]);
    if (signin.status !== 0) throw new SecretsAdapterError("Failed to login to 1Password", { hint: whatToRun });
    // `--raw` prints the session token and a newline; Kamal passed the newline on, which op rejects.
    return isBlank(signin.stdout) ? undefined : signin.stdout.trim();
  }

  protected fetchSecrets(secrets: readonly string[], options: { from: string | undefined; account: string | undefined; session: string | undefined }): SecretValues {
    const results: SecretValues = new Map();
    const account = options.account ?? "";
    if (secrets.length === 0) {
      if (options.from === undefined) {
        throw new SecretsAdapterError("Nothing to fetch from 1Password", { hint: "name the secrets, or give --from VAULT/ITEM to fetch every field of an item" });
      }
      const [vault = "", item = ""] = rubySplit(options.from.replace(/^op:\/\//, ""), "/");
      const itemJson = this.op.json(this.itemGet(vault, item, undefined, account, options.session), `${item} in the ${vault} vault`);
      const fields = isObject(itemJson) ? itemJson.fields : undefined;
      if (!Array.isArray(fields)) throw new SecretsAdapterError(`1Password item ${item} in the ${vault} vault has no fields`);
      mergeFields(results, fields);
      return results;
    }
    for (const [vault, items] of vaultsItemsFields(prefixedSecrets(secrets, options.from))) {
      for (const [item, fields] of items) {
        const json = this.op.json(this.itemGet(vault, item, fields, account, options.session), `${item} in the ${vault} vault`);
        // op prints an object for one field and an array for several.
        mergeFields(results, Array.isArray(json) ? json : [json]);
      }
    }
    return results;
  }

  private itemGet(vault: string, item: string, fields: readonly string[] | undefined, account: string, session: string | undefined): string {
    const args = ["item", "get", item, "--vault", vault, "--format", "json", "--account", account];
    if (session !== undefined) args.push("--session", session);
    if (fields !== undefined && fields.length > 0) args.push("--fields", fields.map((f) => `label=${f}`).join(","));
    const result = this.op.run(args);
    if (result.status !== 0) {
      const what = fields !== undefined && fields.length > 0 ? `${fields.join(", ")} ` : "";
      throw new SecretsAdapterError(`Could not read ${what}from ${item} in the ${vault} 1Password vault`, {
        hint: `check the names with \`op item get ${item} --vault ${vault} --account ${account}\``,
      });
    }
    return result.stdout;
  }
}

/** `vault/item/field[/field]` (an `op://` prefix allowed) grouped by vault then item; the field defaults to `password`. */
function vaultsItemsFields(secrets: readonly string[]): Map<string, Map<string, string[]>> {
  const vaults = new Map<string, Map<string, string[]>>();
  for (const secret of secrets) {
    const [vault = "", item = "", ...fields] = rubySplit(secret.replace(/^op:\/\//, ""), "/");
    if (fields.length === 0) fields.push("password");
    let items = vaults.get(vault);
    if (items === undefined) vaults.set(vault, (items = new Map()));
    let itemFields = items.get(item);
    if (itemFields === undefined) items.set(item, (itemFields = []));
    itemFields.push(fields.join("."));
  }
  return vaults;
}

/** Each field's reference `op://vault/item/[section/]field` (minus a final `/password`) names its value. */
function mergeFields(results: SecretValues, fields: readonly unknown[]): void {
  for (const field of fields) {
    if (!isObject(field) || typeof field.reference !== "string") continue;
    const key = field.reference.replace(/^op:\/\//, "").replace(/\/password$/, "");
    results.set(key, stringOrNull(field.value));
  }
}
