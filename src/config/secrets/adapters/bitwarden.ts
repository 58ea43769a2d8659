import { SecretsAdapterError, VendorCli, isBlank, isObject, rubySplit, stringOrNull, type AdapterEnvironment } from "../vendor-cli.js";
import { prefixedSecrets, SecretsAdapter, type SecretValues } from "./base.js";

// Kamal's Bitwarden adapter: `bw status`, `bw login EMAIL` / `bw unlock --raw` when needed (the
// session goes to later calls as BW_SESSION), `bw sync`, then `bw get item ITEM` per item. A name
// is `ITEM` (the login's password, or every custom field) or `ITEM/FIELD` (a custom field).

export class BitwardenAdapter extends SecretsAdapter {
  readonly name = "bitwarden";
  private readonly bw: VendorCli;

  constructor(context: AdapterEnvironment) {
    super(context);
    this.bw = new VendorCli("bw", "Bitwarden CLI", "https://bitwarden.com/help/cli/", context);
  }

  protected checkDependencies(): void {
    this.bw.checkInstalled();
  }

  protected login(account: string): string | undefined {
    let status = this.status(undefined);
    let session: string | undefined;
    if (status === "unauthenticated") {
      this.bw.requireTerminalToSignIn(`Bitwarden CLI (bw) is not logged in`, `run \`bw login ${account}\`, then \`export BW_SESSION=$(bw unlock --raw)\``);
      this.bw.run(["login", account]);
      status = this.status(undefined);
    }
    if (status === "locked") {
      this.bw.requireTerminalToSignIn(`the Bitwarden vault is locked`, "run `export BW_SESSION=$(bw unlock --raw)`");
      const unlocked = this.bw.run(["unlock", "--raw"]).stdout.trim();
      session = isBlank(unlocked) ? undefined : unlocked;
      status = this.status(session);
    }
    if (status !== "unlocked") {
      throw new SecretsAdapterError("Failed to login to and unlock Bitwarden", { hint: `run \`bw login ${account}\` and \`export BW_SESSION=$(bw unlock --raw)\`` });
    }
    if (this.bw.run(["sync"], this.sessionEnv(session)).status !== 0) throw new SecretsAdapterError("Failed to sync Bitwarden", { hint: "run `bw sync` to see why" });
    return session;
  }

  protected fetchSecrets(secrets: readonly string[], options: { from: string | undefined; session: string | undefined }): SecretValues {
    const results: SecretValues = new Map();
    for (const [item, fields] of itemsFields(prefixedSecrets(secrets, options.from))) {
      const got = this.bw.run(["get", "item", item], this.sessionEnv(options.session));
      if (got.status !== 0) throw new SecretsAdapterError(`Could not read ${item} from Bitwarden`, { hint: `check the name with \`bw get item ${item}\`` });
      const itemJson = this.bw.json(got.stdout.trim(), item);
      const record = isObject(itemJson) ? itemJson : {};
      const login = isObject(record.login) ? record.login : {};
      const itemFields = Array.isArray(record.fields) ? record.fields.filter(isObject) : undefined;
      if (fields.some((f) => f !== undefined)) {
        fieldValues(results, fields, item, itemFields);
      } else if (login.password !== undefined && login.password !== null) {
        results.set(item, stringOrNull(login.password));
      } else if (itemFields !== undefined && itemFields.length > 0) {
        fieldValues(results, itemFields.map((f) => stringOrNull(f.name) ?? undefined), item, itemFields);
      } else {
        throw new SecretsAdapterError(`Item ${item} is not a login type item and no fields were specified`, { hint: `name its custom fields: ${item}/FIELD` });
      }
    }
    return results;
  }

  private status(session: string | undefined): unknown {
    const status = this.bw.json(this.bw.run(["status"], this.sessionEnv(session)).stdout.trim(), "`bw status`");
    return isObject(status) ? status.status : undefined;
  }

  private sessionEnv(session: string | undefined): { env?: Record<string, string> } {
    return session === undefined ? {} : { env: { BW_SESSION: session } };
  }
}

/** `ITEM/FIELD` names grouped by item (only the first two parts count, as in Kamal). */
function itemsFields(secrets: readonly string[]): Map<string, Array<string | undefined>> {
  const items = new Map<string, Array<string | undefined>>();
  for (const secret of secrets) {
    const [item = "", field] = rubySplit(secret, "/");
    let fields = items.get(item);
    if (fields === undefined) items.set(item, (fields = []));
    fields.push(field);
  }
  return items;
}

function fieldValues(results: SecretValues, fields: ReadonlyArray<string | undefined>, item: string, itemFields: ReadonlyArray<Record<string, unknown>> | undefined): void {
  for (const field of fields) {
    const found = itemFields?.find((f) => f.name === field);
    if (found === undefined) throw new SecretsAdapterError(`Could not find field ${field ?? ""} in item ${item} in Bitwarden`);
    results.set(`${item}/${field ?? ""}`, stringOrNull(found.value));
  }
}
