import { spawnSync } from "node:child_process";

// Commands a configuration runs while it is read (ERB backticks, `$(cmd)` in secrets files) run
// synchronously, and a blocked event loop cannot run the CLI's SIGINT/SIGTERM handlers: a
// `sleep 15` would hold off an interrupt for 15 s. So while one runs, those signals keep their
// default action (mrsk stops at once, nothing remote has started during a load), and the command
// runs in its own process group under a watchdog that kills the group when mrsk goes away.

/** Largest stdout kept from one command. */
export const MAX_SHELL_OUT_OUTPUT = 64 * 1024 * 1024;

const INTERRUPTS = ["SIGINT", "SIGTERM"] as const;

// Runs as `node -e`: starts the shell as a group leader, ends the group when mrsk dies (its parent
// changes) or the watchdog is signalled (Ctrl-C reaches the whole foreground group), and exits
// with the command's status.
const WATCHDOG = `
const { spawn } = require("node:child_process");
const parent = process.ppid;
const child = spawn("/bin/sh", ["-c", process.argv[1]], { detached: true, stdio: "inherit" });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  try { process.kill(-child.pid, "SIGTERM"); } catch {}
  setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch {} process.exit(130); }, 500).unref();
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, stop);
const watch = setInterval(() => { if (process.ppid !== parent) stop(); }, 50);
child.on("exit", (code, signal) => { clearInterval(watch); process.exit(code ?? (signal ? 128 : 1)); });
`;

export interface ShellOutResult {
  readonly stdout: string;
  readonly status: number | null;
}

export function shellOut(
  command: string,
  options: { cwd: string; env: Record<string, string | undefined>; stderr: "inherit" | "pipe" },
): ShellOutResult {
  const env = Object.fromEntries(Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const saved = INTERRUPTS.map((signal) => [signal, process.listeners(signal)] as const);
  for (const signal of INTERRUPTS) process.removeAllListeners(signal);
  try {
    const result = spawnSync(process.execPath, ["-e", WATCHDOG, command], {
      cwd: options.cwd,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", options.stderr],
      maxBuffer: MAX_SHELL_OUT_OUTPUT,
    });
    if (result.error !== undefined && (result.error as NodeJS.ErrnoException).code !== "ENOBUFS") throw result.error;
    return { stdout: result.stdout ?? "", status: result.status };
  } finally {
    for (const [signal, listeners] of saved) for (const listener of listeners) process.on(signal, listener as NodeJS.SignalsListener);
  }
}
