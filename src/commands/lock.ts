import type { Config } from "../config/model.js";
import { cmd, combine, pipe, silence, write, type Cmd } from "./shell.js";

// The deploy lock: a directory made with `mkdir` on the primary host (atomic: exactly one of two
// racing deploys creates it), holding a base64 details file as MRSK writes it.

export function acquireLock(config: Config, details: string): Cmd {
  const dir = config.lockDirectory;
  return combine(
    cmd("mkdir", "-p", config.runDirectory),
    cmd("mkdir", dir),
    write(cmd("echo", Buffer.from(details).toString("base64")), `${dir}/details`),
  );
}

export function releaseLock(config: Config): Cmd {
  return cmd("rm", "-rf", config.lockDirectory);
}

/** Prints the decoded details, or fails when there is no lock. */
export function lockStatus(config: Config): Cmd {
  const dir = config.lockDirectory;
  return combine(silence(cmd("stat", dir)), pipe(cmd("cat", `${dir}/details`), cmd("base64", "-d")));
}
