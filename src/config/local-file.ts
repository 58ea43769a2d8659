import { readFileSync } from "node:fs";
import { ConfigError } from "../errors.js";

// Every local file mrsk reads because a user named it (the config file, `.env`, secrets files,
// accessory files) is read here, so a directory or an unreadable path is reported the same way.

export class LocalFileProblem extends Error {}

/** The file's text; otherwise a LocalFileProblem saying what is wrong with the path. */
export function readLocalText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new LocalFileProblem("is a directory, not a file");
    if (code === "ENOENT" || code === "ENOTDIR") throw new LocalFileProblem("does not exist");
    if (code === "EACCES" || code === "EPERM") throw new LocalFileProblem("cannot be read: permission denied");
    throw new LocalFileProblem(`cannot be read: ${(error as Error).message}`);
  }
}

/** A file the configuration is read from (deploy file, `.env`, secrets); `shown` names it in errors. */
export function readConfigFile(path: string, shown: string): string {
  try {
    return readLocalText(path);
  } catch (error) {
    if (error instanceof LocalFileProblem) throw ConfigError.single(shown, "", error.message, "give the path of a file");
    throw error;
  }
}
