import { SecretsAdapterError, VendorCli, isBlank, isObject, type AdapterEnvironment } from "../vendor-cli.js";
import { SecretsAdapter, type SecretValues } from "./base.js";

// Kamal's Enpass adapter: offline, no account; --from is the vault's directory. One
// `enpass-cli -json -vault VAULT show TITLE…`; a name is `TITLE` (every password of the item)
// or `TITLE/LABEL` (one of them); keys are `TITLE/LABEL`, or `TITLE` for an unlabelled one.

export class EnpassAdapter extends SecretsAdapter {
  readonly name = "enpass";
  private readonly enpass: VendorCli;

  constructor(context: AdapterEnvironment) {
    super(context);
    this.enpass = new VendorCli("enpass-cli", "Enpass CLI", "https://github.com/hazcod/enpass-cli", context);
  }

  override get requiresAccount(): boolean {
    return false;
  }

  protected checkDependencies(): void {
    this.enpass.checkInstalled(["version"]);
  }

  protected login(): undefined {
    return undefined;
  }

  protected fetchSecrets(secrets: readonly string[], options: { from: string | undefined }): SecretValues {
    if (options.from === undefined) throw new SecretsAdapterError("The enpass adapter needs --from VAULT_PATH", { hint: "the directory of the Enpass vault, e.g. …/Enpass/Vaults/primary" });
    const titles = [...new Set(secrets.map(titleOf))];
    const shown = this.enpass.run(["-json", "-vault", options.from, "show", ...titles]);
    if (shown.status !== 0) throw new SecretsAdapterError(`Could not read ${titles.join(", ")} from the Enpass vault ${options.from}`, { hint: "run enpass-cli by hand to see why" });
    const items = this.enpass.json(shown.stdout.trim(), titles.join(", "));
    const results: SecretValues = new Map();
    for (const item of Array.isArray(items) ? items : []) {
      if (!isObject(item)) continue;
      const title = typeof item.title === "string" ? item.title : undefined;
      const label = typeof item.label === "string" ? item.label : "";
      const password = typeof item.password === "string" ? item.password : undefined;
      if (title === undefined || isBlank(password)) continue;
      const key = [title, label].filter((part) => part !== "").join("/");
      if (!secrets.includes(title) && !secrets.includes(key)) continue;
      if (results.has(key)) throw new SecretsAdapterError(`${key} is present more than once`, { hint: "give the passwords of that item distinct labels" });
      results.set(key, password!);
    }
    return results;
  }
}

/** `FooBar/DB_PASSWORD` → `FooBar` (one password of the item); `FooBar` → `FooBar` (all of them). */
function titleOf(secret: string): string {
  const slash = secret.lastIndexOf("/");
  return slash <= 0 ? secret.slice(slash + 1) : secret.slice(0, slash);
}
