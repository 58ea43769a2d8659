import { op, type Cmd } from "./shell.js";

/** A command line the user typed for `server exec`, run by the remote shell as written. */
export function userCommand(line: string): Cmd {
  return [op(line)];
}
