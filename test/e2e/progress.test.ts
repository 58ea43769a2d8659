import { spawn } from "node:child_process";
import xterm from "@xterm/headless";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { createProject, describeRig, MRSK_BIN, proxyConfig, resetHosts, type Project } from "./support/project.js";
import { rigUp, type RigState } from "./support/rig.js";

// The live view on a real terminal: a two-host deploy run in a pseudo-terminal of a given size, its
// output replayed into a headless terminal emulator, and the final screen read back.

const ADDRESSES = ["10.213.0.11", "10.213.0.12"];
const PTY = [
  "import fcntl, os, pty, struct, sys, termios",
  "cols, rows = int(sys.argv[1]), int(sys.argv[2])",
  "pid, fd = pty.fork()",
  "if pid == 0:",
  "    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))",
  "    os.execvp(sys.argv[3], sys.argv[3:])",
  "while True:",
  "    try:",
  "        data = os.read(fd, 65536)",
  "    except OSError:",
  "        break",
  "    if not data:",
  "        break",
  "    sys.stdout.buffer.write(data)",
  "    sys.stdout.flush()",
  "sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))",
].join("\n");

let rig: RigState;
let project: Project;
let lastScreen = "";

/** Runs `mrsk args` in a `cols`-column terminal; the screen it leaves, one string per row. */
async function onScreen(cols: number, args: string[], version: string): Promise<{ exitCode: number | null; lines: string[] }> {
  const child = spawn("python3", ["-c", PTY, String(cols), "50", "node", MRSK_BIN, ...args], {
    cwd: project.dir,
    env: { ...project.env, VERSION: version, TERM: "xterm-256color" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const term = new xterm.Terminal({ cols, rows: 50, allowProposedApi: true });
  const writes: Array<Promise<void>> = [];
  child.stdout.on("data", (chunk: Buffer) => writes.push(new Promise<void>((resolve) => term.write(chunk, resolve))));
  const exitCode = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  await Promise.all(writes);
  const lines: string[] = [];
  for (let i = 0; i < term.buffer.active.length; i++) lines.push(term.buffer.active.getLine(i)!.translateToString(true));
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  lastScreen = lines.join("\n");
  return { exitCode, lines };
}

beforeAll(async () => {
  rig = await rigUp({ hosts: 2 });
  await resetHosts(rig);
  project = createProject(rig, "live");
  // Its own image repository: versions it leaves on the hosts are not another test's.
  project.writeConfig(proxyConfig(rig, "live", { host: "live.test", image: "mrsk-e2e/sample-live" }));
  expect((await project.mrsk(["deploy"], { VERSION: "l1" })).exitCode).toBe(0);
});

afterAll(async () => {
  project?.remove();
  await resetHosts(rig);
});

describe("the live view in a terminal", () => {
  for (const [cols, from, to] of [[100, "l1", "l2"], [40, "l2", "l3"]] as const) {
    it(`shows each host's final state and the summary after a two-host deploy (${cols} columns)`, async () => {
      onTestFailed(async () => console.error(`screen:\n${lastScreen}\n\nrig:\n${await describeRig(rig)}`));
      const { exitCode, lines } = await onScreen(cols, ["deploy"], to);
      expect(exitCode).toBe(0);
      for (const address of ADDRESSES) {
        const final = lines.filter((l) => l.startsWith(`✔ ${address}`));
        expect(final).toHaveLength(1);
        expect(final[0]).toMatch(/ done$/);
      }
      expect(lines.join("\n")).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
      expect(lines.every((l) => l.length <= cols)).toBe(true);
      const summary = lines.slice(lines.findIndex((l) => l.startsWith(`✔ ${ADDRESSES[1]}`)) + 1);
      for (const address of ADDRESSES) {
        const row = summary.find((l) => l.startsWith(address));
        expect(row).toBeDefined();
        expect(row).toContain(`${from} → ${to}`);
        expect(row).toMatch(/ok$/);
      }
      expect(lines.at(-1)).toMatch(/^Finished all in [\d.]+s$/);
    });
  }
});
