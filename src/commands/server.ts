import { any, cmd, group, op, pipe, silence, type Cmd } from "./shell.js";

/** A command line the user typed for `server exec`, run by the remote shell as written. */
export function userCommand(line: string): Cmd {
  return [op(line)];
}

/** Exits 0 when docker can be run by the SSH user. */
export function dockerWorks(): Cmd {
  return silence(cmd("docker", "version"));
}

/** Exits 0 when the docker command exists at all (maybe without permission to use it). */
export function dockerInstalled(): Cmd {
  return silence(cmd("docker", "-v"));
}

/** Exits 0 for root. */
export function isRoot(): Cmd {
  return cmd("test", op('"$(id -u)"'), "-eq", "0");
}

/** Docker's convenience script, fetched with curl or wget. */
export function installDocker(): Cmd {
  return pipe(group(any(cmd("curl", "-fsSL", "https://get.docker.com"), cmd("wget", "-qO-", "https://get.docker.com"))), cmd("sh"));
}

/** Removes files and directories on the host, recursively; missing ones are fine. */
export function removePaths(paths: readonly string[]): Cmd {
  return cmd("rm", "-rf", ...paths);
}
