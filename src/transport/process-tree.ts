// Stopping a local command together with everything its shell started: killing only `sh` leaves
// its children running (`sh -c 'a; b'` forks `a`), still holding the output pipes.
import { execa } from "execa";

/** Sends SIGTERM to `pid` and all its descendants. */
export async function terminateProcessTree(pid: number): Promise<void> {
  for (const member of [pid, ...(await descendantsOf(pid))]) {
    try {
      process.kill(member, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
}

async function descendantsOf(root: number): Promise<number[]> {
  // `ps -A -o pid=,ppid=` means the same on Linux and macOS.
  const { stdout } = await execa("ps", ["-A", "-o", "pid=,ppid="], { reject: false });
  const children = new Map<number, number[]>();
  for (const line of stdout.split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined || Number.isNaN(pid) || Number.isNaN(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
