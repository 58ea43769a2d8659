import type { PassphrasePrompt } from "./ssh-auth.js";

/** Asks on the terminal (stderr, no echo); without a terminal there is no one to ask, so no answer. */
export const terminalPassphrasePrompt: PassphrasePrompt = async (keyFile) => {
  if (process.stdin.isTTY !== true) return undefined;
  const { read } = await import("read");
  const passphrase = await read<string>({ prompt: `Enter passphrase for key '${keyFile}': `, silent: true, replace: "", input: process.stdin, output: process.stderr });
  // The typed line is not echoed, its end neither: end the prompt's line as OpenSSH does.
  process.stderr.write("\n");
  return passphrase;
};
