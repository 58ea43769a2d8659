import type { PassphrasePrompt } from "./ssh-auth.js";

/** Asks on the terminal (stderr, no echo); without a terminal there is no one to ask, so no answer. */
export const terminalPassphrasePrompt: PassphrasePrompt = async (keyFile) => {
  if (process.stdin.isTTY !== true) return undefined;
  const { read } = await import("read");
  return read<string>({ prompt: `Enter passphrase for key '${keyFile}': `, silent: true, replace: "", input: process.stdin, output: process.stderr });
};
