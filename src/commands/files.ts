import { cmd, combine, op, write, type Cmd } from "./shell.js";

/**
 * Writes the command's stdin to `path` with exactly `mode`: the file is created under umask 077,
 * truncated, given the mode, then filled, so its content is never readable by others, even briefly.
 */
export function writeStdinToFile(path: string, mode: number): Cmd {
  return combine(cmd("umask", "077"), [op(":"), op(">"), path], cmd("chmod", mode.toString(8).padStart(4, "0"), path), write(cmd("cat"), path));
}
