import { SecretsAdapterError, VendorCli, isObject, rubySplit, stringOrNull, type AdapterEnvironment } from "../vendor-cli.js";
import { prefixedSecrets, SecretsAdapter, type SecretValues } from "./base.js";

// Kamal's Passbolt adapter: `passbolt verify`, then the folders named in `FOLDER[/SUB…]/NAME`
// (`passbolt list folders --filter … --json`, level by level), then one `passbolt list resources
// --filter … --folder ID… --column name --column password --json`. Keys are the resource names.

interface Folder {
  readonly id: string;
  readonly name: string;
  readonly parentId: string;
}

export class PassboltAdapter extends SecretsAdapter {
  readonly name = "passbolt";
  private readonly passbolt: VendorCli;

  constructor(context: AdapterEnvironment) {
    super(context);
    this.passbolt = new VendorCli("passbolt", "Passbolt CLI", "https://github.com/passbolt/go-passbolt-cli", context);
  }

  override get requiresAccount(): boolean {
    return false;
  }

  protected checkDependencies(): void {
    this.passbolt.checkInstalled();
  }

  protected login(): undefined {
    if (this.passbolt.run(["verify"]).status !== 0) {
      throw new SecretsAdapterError("Failed to login to Passbolt", { hint: "run `passbolt verify` to see why (`passbolt configure` sets the server and key)" });
    }
    return undefined;
  }

  protected fetchSecrets(secrets: readonly string[], options: { from: string | undefined }): SecretValues {
    const names = prefixedSecrets(secrets, options.from);
    if (names.length === 0) throw new SecretsAdapterError("No secrets given to fetch", { hint: "name the Passbolt resources, FOLDER/NAME for one in a folder" });
    const secretNames = names.map((s) => rubySplit(s, "/").pop() ?? "");
    const folders = this.folders(names);

    const conditions: string[] = [];
    for (const secret of names) {
      const parts = rubySplit(secret, "/");
      const name = parts[parts.length - 1] ?? "";
      if (parts.length > 1) {
        let current: Folder | undefined;
        const path: string[] = [];
        for (const folderName of parts.slice(0, -1)) {
          path.push(folderName);
          current = folders.find((f) => folderPath(f, folders) === path.join("/")) ?? current;
        }
        if (current !== undefined) conditions.push(`(Name == ${quote(name)} && FolderParentID == ${quote(current.id)})`);
      } else {
        conditions.push(`Name == ${quote(name)}`);
      }
    }
    const args = ["list", "resources"];
    if (conditions.length > 0) args.push("--filter", conditions.join(" || "));
    for (const folder of folders) args.push("--folder", folder.id);
    args.push("--column", "name", "--column", "password", "--json");
    const listed = this.passbolt.run(args);
    if (listed.status !== 0) throw new SecretsAdapterError(`Could not read ${names.join(", ")} from Passbolt`, { hint: "run `passbolt list resources` to see why" });
    const items = this.passbolt.json(listed.stdout, names.join(", "));
    const results: SecretValues = new Map();
    for (const item of Array.isArray(items) ? items : []) if (isObject(item)) results.set(String(item.name), stringOrNull(item.password));
    const missing = secretNames.filter((name) => !results.has(name));
    if (missing.length > 0) throw new SecretsAdapterError(`Could not find the following secrets in Passbolt: ${missing.join(", ")}`);
    return results;
  }

  /** Every folder on the paths named, top-level ones first, then each level below. */
  private folders(names: readonly string[]): Folder[] {
    const paths = unique(names.filter((s) => s.includes("/")).map((s) => rubySplit(s, "/").slice(0, -1)));
    if (paths.length === 0) return [];
    const topNames = [...new Set(paths.map((p) => p[0]!))];
    const top = this.passbolt.run(["list", "folders", "--filter", topNames.map((n) => `Name == ${quote(n)}`).join(" || "), "--json"]);
    if (top.status !== 0) throw new SecretsAdapterError("Could not read folders from Passbolt", { hint: "run `passbolt list folders` to see why" });
    const parents = toFolders(this.passbolt.json(top.stdout, "the folders"));
    const all = [...parents];
    for (const path of paths) {
      if (path.length <= 1) continue;
      let current = parents.find((f) => f.name === path[0]);
      if (current === undefined) continue;
      for (const folderName of path.slice(1)) {
        const nested = this.passbolt.run(["list", "folders", "--filter", `Name == ${quote(folderName)} && FolderParentID == ${quote(current.id)}`, "--json"]);
        if (nested.status !== 0) continue;
        const found = toFolders(this.passbolt.json(nested.stdout, "the folders"));
        if (found.length === 0) break;
        all.push(...found);
        current = found[0]!;
      }
    }
    const foundPaths = new Set(all.map((f) => folderPath(f, all)));
    const missing = paths.map((p) => p.join("/")).filter((p) => !foundPaths.has(p));
    if (missing.length > 0) throw new SecretsAdapterError(`Could not find the following folders in Passbolt: ${missing.join(", ")}`);
    return all;
  }
}

/**
 * A string in Passbolt's filter language. Kamal writes `name.shellescape.inspect`, which is the same
 * for ids and plain names but doubles the backslash it adds before a space or quote, so such a name
 * never matches; this quotes the name itself.
 */
function quote(text: string): string {
  return JSON.stringify(text);
}

function toFolders(json: unknown): Folder[] {
  return (Array.isArray(json) ? json : []).filter(isObject).map((f) => ({
    id: stringOrNull(f.id) ?? "",
    name: stringOrNull(f.name) ?? "",
    parentId: stringOrNull(f.folder_parent_id) ?? "",
  }));
}

function folderPath(folder: Folder, all: readonly Folder[]): string {
  const path = [folder.name];
  const seen = new Set([folder.id]);
  let current = folder;
  while (current.parentId !== "") {
    const parent = all.find((f) => f.id === current.parentId);
    if (parent === undefined || seen.has(parent.id)) break;
    path.unshift(parent.name);
    seen.add(parent.id);
    current = parent;
  }
  return path.join("/");
}

function unique(paths: string[][]): string[][] {
  const seen = new Set<string>();
  return paths.filter((p) => {
    const key = p.join("/");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
