import { SecretsAdapterError, VendorCli, isObject, rubySplit, stringOrNull, type AdapterEnvironment } from "../vendor-cli.js";
import { prefixedSecrets, SecretsAdapter, type SecretValues } from "./base.js";

// Kamal's Doppler adapter: `doppler me --json` must succeed, else `doppler login -y`; then one
// `doppler secrets get NAME… --json -p PROJECT -c CONFIG` (no -p/-c with a service token in
// DOPPLER_TOKEN). Names are `[PROJECT/CONFIG/]NAME`, usually with `--from PROJECT/CONFIG`.

export class DopplerAdapter extends SecretsAdapter {
  readonly name = "doppler";
  private readonly doppler: VendorCli;

  constructor(context: AdapterEnvironment) {
    super(context);
    this.doppler = new VendorCli("doppler", "Doppler CLI", "https://docs.doppler.com/docs/install-cli", context);
  }

  override get requiresAccount(): boolean {
    return false;
  }

  protected checkDependencies(): void {
    this.doppler.checkInstalled();
  }

  protected login(): undefined {
    if (this.doppler.run(["me", "--json"], { quiet: true }).status === 0) return undefined;
    const whatToRun = "run `doppler login`, or set DOPPLER_TOKEN to a service token";
    this.doppler.requireTerminalToSignIn("Doppler CLI is not logged in", whatToRun);
    if (this.doppler.run(["login", "-y"]).status !== 0) throw new SecretsAdapterError("Failed to login to Doppler", { hint: whatToRun });
    return undefined;
  }

  protected fetchSecrets(secrets: readonly string[], options: { from: string | undefined }): SecretValues {
    const names = prefixedSecrets(secrets, options.from);
    if (names.length === 0) throw new SecretsAdapterError("Nothing to fetch from Doppler", { hint: "name the secrets: --from PROJECT/CONFIG NAME…" });
    const args = ["secrets", "get", ...names.map((s) => rubySplit(s, "/").pop() ?? ""), "--json"];
    if (!this.serviceTokenSet()) {
      const [project, config] = rubySplit(names[0]!, "/");
      if (project === undefined || config === undefined) {
        throw new SecretsAdapterError("Missing project or config from '--from=project/config' option", { hint: "pass --from PROJECT/CONFIG, or set DOPPLER_TOKEN to a service token" });
      }
      args.push("-p", project, "-c", config);
    }
    const got = this.doppler.run(args);
    if (got.status !== 0) throw new SecretsAdapterError(`Could not read ${names.join(", ")} from Doppler`, { hint: `run \`doppler ${args.join(" ")}\` to see why` });
    const items = this.doppler.json(got.stdout, names.join(", "));
    const results: SecretValues = new Map();
    if (isObject(items)) for (const [key, value] of Object.entries(items)) results.set(key, isObject(value) ? stringOrNull(value.computed) : null);
    return results;
  }

  private serviceTokenSet(): boolean {
    return this.context.env.DOPPLER_TOKEN?.startsWith("dp.st") === true;
  }
}
