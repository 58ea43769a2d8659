import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { MrskError } from "../errors.js";

// The app version: `--version`, else $VERSION, else the git commit, with `_uncommitted_<16 hex>`
// appended when the working tree has changes (so a dirty build never reuses a commit's tag).

export interface VersionSources {
  option: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  git?: (args: string[]) => string;
}

// Docker's tag grammar: the version becomes the image tag.
const VALID_VERSION = /^[\w][\w.-]{0,127}$/;

export function resolveVersion(sources: VersionSources): string {
  const explicit = sources.option ?? sources.env.VERSION;
  if (explicit !== undefined && explicit !== "") return checkVersion(explicit);

  const git = sources.git ?? defaultGit(sources.cwd);
  let commit: string;
  try {
    commit = git(["rev-parse", "HEAD"]).trim();
  } catch {
    throw new MrskError("Could not determine the version: this is not a git repository with a commit", {
      hint: "pass --version VERSION or set VERSION, or commit your code",
    });
  }
  const dirty = git(["status", "--porcelain"]).trim() !== "";
  return dirty ? `${commit}_uncommitted_${randomBytes(8).toString("hex")}` : commit;
}

export function checkVersion(version: string): string {
  if (!VALID_VERSION.test(version)) {
    throw new MrskError(`Invalid version ${JSON.stringify(version)}`, {
      hint: "a version becomes the image tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'",
    });
  }
  return version;
}

function defaultGit(cwd: string) {
  return (args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}
