import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { EDITOR_SCHEMA_FILE } from "../config/editor-schema-file.js";
import { MrskError } from "../errors.js";

// `mrsk init`: a commented config/deploy.yml in the MRSK style, a .env for its secrets (kept out
// of git), and sample hooks. Nothing that exists is overwritten. The config's first line points
// editors (yaml-language-server) at mrsk's JSON Schema.

const TEMPLATES = fileURLToPath(new URL("../../templates/", import.meta.url));

export interface InitResult {
  created: string[];
  skipped: string[];
}

export function initProject(cwd: string): InitResult {
  const configPath = join(cwd, "config", "deploy.yml");
  if (existsSync(configPath)) {
    throw new MrskError("config/deploy.yml already exists; nothing was changed", {
      hint: "edit it, or move it away to start over",
    });
  }
  const result: InitResult = { created: [], skipped: [] };
  const place = (template: string, target: string, mode?: number): void => {
    const path = join(cwd, target);
    if (existsSync(path)) {
      result.skipped.push(target);
      return;
    }
    mkdirSync(join(path, ".."), { recursive: true });
    copyFileSync(join(TEMPLATES, template), path);
    if (mode !== undefined) chmodSync(path, mode);
    result.created.push(target);
  };

  place("deploy.yml", "config/deploy.yml");
  writeFileSync(configPath, `${schemaModeline(cwd)}\n${readFileSync(configPath, "utf8")}`);
  place("env.sample", ".env", 0o600);
  for (const hook of readdirSync(join(TEMPLATES, "hooks")).sort()) place(`hooks/${hook}`, `.mrsk/hooks/${hook}`, 0o755);
  if (ignoreInGit(cwd, ".env")) result.created.push(".gitignore entry for .env");
  return result;
}

/**
 * The yaml-language-server line naming the schema: relative to config/ when the project has mrsk in
 * its node_modules (so the line works on every checkout), else this installation's absolute path.
 */
export function schemaModeline(cwd: string): string {
  const local = join(cwd, "node_modules", "mrsk", "dist", "deploy.schema.json");
  const target = existsSync(local) ? relative(join(cwd, "config"), local) : EDITOR_SCHEMA_FILE;
  return `# yaml-language-server: $schema=${target}`;
}

/** Adds `entry` to .gitignore unless a line already names it; true when it was added. */
function ignoreInGit(cwd: string, entry: string): boolean {
  const path = join(cwd, ".gitignore");
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  const lines = current.split("\n").map((l) => l.trim());
  if (lines.includes(entry) || lines.includes(`/${entry}`)) return false;
  const separator = current === "" || current.endsWith("\n") ? "" : "\n";
  writeFileSync(path, `${current}${separator}${entry}\n`);
  return true;
}
