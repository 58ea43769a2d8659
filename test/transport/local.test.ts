import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { op } from "../../src/commands/shell.js";
import { RemoteCommandError } from "../../src/errors.js";
import { LocalTransport } from "../../src/transport/local.js";
import type { HostSession, TransportEvent } from "../../src/transport/types.js";
import { waitFor as waitUntil } from "../support/wait.js";

const waitFor = (condition: () => Promise<boolean>): Promise<void> => waitUntil(condition, 5_000, () => "timed out");

const redact = (text: string): string => text.replaceAll("s3cret", "[REDACTED]");

let dir: string;
let events: TransportEvent[];
let local: HostSession;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mrsk-local-"));
  events = [];
  local = await new LocalTransport({ redact, listener: (e) => events.push(e) }).session("localhost");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("run", () => {
  it("runs the shell line and captures output, exit code and the redacted line", async () => {
    const result = await local.run(["sh", "-c", "echo out; echo err >&2", "sh", "s3cret"]);
    expect(result).toMatchObject({ host: "localhost", stdout: "out\n", stderr: "err\n", exitCode: 0, line: "sh -c 'echo out; echo err >&2' sh [REDACTED]" });
    expect(events.map((e) => e.type)).toEqual(["command", "command-done"]);
  });

  it("runs operators as shell syntax", async () => {
    expect((await local.run(["printf", "a\\nb\\n", op("|"), "wc", "-l"])).stdout.trim()).toBe("2");
  });

  it("sends stdin, and closes it when there is none", async () => {
    expect((await local.run(["cat"], { stdin: "piped in" })).stdout).toBe("piped in");
    expect((await local.run(["wc", "-c"], { stdin: Buffer.from([0, 255, 10]) })).stdout.trim()).toBe("3");
    expect((await local.run(["cat"])).stdout).toBe("");
  });

  it("throws RemoteCommandError on a non-zero exit unless tolerated", async () => {
    const failing = ["sh", "-c", "echo bad >&2; exit 7"];
    const error = await local.run(failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect(error).toMatchObject({ host: "localhost", exitCode: 7, stderr: "bad\n" });
    expect(await local.run(failing, { tolerate: true })).toMatchObject({ exitCode: 7 });
    expect(events.filter((e) => e.type === "command-done").map((e) => e.type === "command-done" && e.exitCode)).toEqual([7, 7]);
  });

  it("adds environment variables and runs in the given directory", async () => {
    const result = await local.run(["sh", "-c", 'echo "$MRSK_TEST_VALUE"; pwd'], { env: { MRSK_TEST_VALUE: "from env" }, cwd: dir });
    expect(result.stdout).toBe(`from env\n${dir}\n`);
  });

  it("echoes output as lines", async () => {
    await local.run(["sh", "-c", "echo one; echo two"], { echo: true });
    expect(events.flatMap((e) => (e.type === "output" ? [e.text] : []))).toEqual(["one", "two"]);
  });

  it("stops the command when the signal fires", async () => {
    const controller = new AbortController();
    const running = local.run(["sleep", "5"], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("cancelled")), 50);
    await expect(running).rejects.toThrow("cancelled");
  });
});

describe("upload", () => {
  it("writes the file with the mode, even over a file with a looser one", async () => {
    const path = join(dir, "app.env");
    await writeFile(path, "old", { mode: 0o644 });
    await local.upload(path, "TOKEN=s3cret\n", 0o600);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).toBe("TOKEN=s3cret\n");
    expect(events).toEqual([{ type: "upload", host: "localhost", path, mode: 0o600, bytes: 13 }]);
  });

  it("sets modes the umask would strip", async () => {
    const path = join(dir, "shared");
    await local.upload(path, "x", 0o666);
    expect((await stat(path)).mode & 0o777).toBe(0o666);
  });

  it("names the host and path when it cannot write", async () => {
    await expect(local.upload(join(dir, "missing", "file"), "x", 0o600)).rejects.toThrow(`Could not write ${join(dir, "missing", "file")} on localhost`);
  });
});

describe("stream", () => {
  it("passes output through and resolves with the exit code", async () => {
    let out = "";
    let err = "";
    const code = await local.stream(["sh", "-c", "echo o; echo e >&2; exit 3"], {
      onStdout: (c) => (out += c),
      onStderr: (c) => (err += c),
    });
    expect([code, out, err]).toEqual([3, "o\n", "e\n"]);
  });

  it("feeds stdin", async () => {
    let out = "";
    const code = await local.stream(["cat"], { stdin: Readable.from(["from ", "stdin"]), onStdout: (c) => (out += c) });
    expect([code, out]).toEqual([0, "from stdin"]);
  });

  it("resolves with null when aborted", async () => {
    const controller = new AbortController();
    const streaming = local.stream(["sleep", "5"], { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await streaming).toBeNull();
  });
});

describe("stopping", () => {
  async function processesMatching(text: string): Promise<string[]> {
    const { stdout } = await execa("ps", ["-eo", "args="]);
    return stdout.split("\n").filter((line) => line.includes(text));
  }

  it("ends everything the shell started when aborted", async () => {
    const controller = new AbortController();
    const streaming = local.stream(["sh", "-c", "sleep 4343; echo after"], { signal: controller.signal });
    await waitFor(async () => (await processesMatching("sleep 4343")).length > 0);
    controller.abort();
    expect(await streaming).toBeNull();
    await waitFor(async () => (await processesMatching("sleep 4343")).length === 0);
  });

  it("ends running commands when the transport closes", async () => {
    const transport = new LocalTransport({ redact });
    const running = (await transport.session("localhost")).run(["sh", "-c", "sleep 4344; true"], { tolerate: true });
    await waitFor(async () => (await processesMatching("sleep 4344")).length > 0);
    await transport.close();
    expect((await running).signal).toBe("SIGTERM");
    await waitFor(async () => (await processesMatching("sleep 4344")).length === 0);
  });
});

describe("sessions", () => {
  it("labels each named host, one session per name, and forwards nothing", async () => {
    const transport = new LocalTransport({ redact });
    expect(await transport.session("web1")).toBe(await transport.session("web1"));
    const web1 = await transport.session("web1");
    expect((await web1.run(["echo", "hi"])).host).toBe("web1");
    const unforward = await web1.forwardRemotePort(5555, "127.0.0.1", 5555);
    await unforward();
    await transport.close();
  });
});
