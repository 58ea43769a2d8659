import { SecretsAdapterError, VendorCli, isObject, stringOrNull, type AdapterEnvironment } from "../vendor-cli.js";
import { prefixedSecrets, SecretsAdapter, type SecretValues } from "./base.js";

// Kamal's LastPass adapter: `lpass status --color never` must say "Logged in as ACCOUNT.", else
// `lpass login ACCOUNT`; then one `lpass show NAME… --json`, keyed by each entry's fullname.

export class LastPassAdapter extends SecretsAdapter {
  readonly name = "lastpass";
  private readonly lpass: VendorCli;

  constructor(context: AdapterEnvironment) {
    super(context);
    this.lpass = new VendorCli("lpass", "LastPass CLI", "https://github.com/lastpass/lastpass-cli", context);
  }

  protected checkDependencies(): void {
    this.lpass.checkInstalled();
  }

  protected login(account: string): undefined {
    if (this.lpass.run(["status", "--color", "never"]).stdout.trim() === `Logged in as ${account}.`) return undefined;
    this.lpass.requireTerminalToSignIn(`LastPass CLI (lpass) is not logged in as ${account}`, `run \`lpass login ${account}\``);
    if (this.lpass.run(["login", account]).status !== 0) throw new SecretsAdapterError("Failed to login to LastPass", { hint: `run \`lpass login ${account}\` to see why` });
    return undefined;
  }

  protected fetchSecrets(secrets: readonly string[], options: { from: string | undefined }): SecretValues {
    const names = prefixedSecrets(secrets, options.from);
    const shown = this.lpass.run(["show", ...names, "--json"]);
    if (shown.status !== 0) throw new SecretsAdapterError(`Could not read ${names.join(", ")} from LastPass`, { hint: `check the names with \`lpass ls\`` });
    const items = this.lpass.json(shown.stdout, names.join(", "));
    const results: SecretValues = new Map();
    for (const item of Array.isArray(items) ? items : []) if (isObject(item)) results.set(String(item.fullname), stringOrNull(item.password));
    const missing = names.filter((name) => !results.has(name));
    if (missing.length > 0) throw new SecretsAdapterError(`Could not find ${missing.join(", ")} in LastPass`);
    return results;
  }
}
