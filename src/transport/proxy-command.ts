// `ssh.proxy_command`: a local command whose stdin/stdout carry the SSH connection (as OpenSSH's
// ProxyCommand), wrapped as the Duplex stream ssh2 accepts as its socket.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { Duplex } from "node:stream";
import { quote } from "../commands/shell.js";
import { ConnectionError, tail } from "../errors.js";
import type { SshEndpoint } from "./host-address.js";

/** Substitutes `%h`, `%p`, `%r` and `%%` as OpenSSH does. */
export function expandProxyCommand(template: string, endpoint: SshEndpoint): string {
  // A host name read as an option by the proxy command could run anything (as OpenSSH refuses it).
  if (endpoint.host.startsWith("-") && /%h/.test(template.replaceAll("%%", ""))) {
    throw new ConnectionError(endpoint.host, `refusing to pass the host name ${endpoint.host} to a proxy command: it starts with "-"`, {
      hint: "Check the host name (HostName in the OpenSSH config, or the host list).",
    });
  }
  return template.replace(/%([hpr%])/g, (_, token: string) => {
    switch (token) {
      case "h":
        return quote(endpoint.host);
      case "p":
        return String(endpoint.port);
      case "r":
        return quote(endpoint.user);
      default:
        return "%";
    }
  });
}

/** The proxy process's stdio as a socket; destroying it ends the process. */
export class ProxyCommandSocket extends Duplex {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = "";

  constructor(commandLine: string) {
    super();
    // As OpenSSH does: `exec` makes the proxy the child itself, so that killing the child ends it.
    this.child = spawn("/bin/sh", ["-c", `exec ${commandLine}`], { stdio: "pipe" });
    this.child.stdout.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) this.child.stdout.pause();
    });
    this.child.stdout.on("end", () => this.push(null));
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.stdin.on("error", (error) => this.destroy(error));
    this.child.on("error", (error) => this.destroy(error));
  }

  /** The end of what the proxy command wrote to stderr, to explain a failed connection. */
  diagnostics(): string {
    return tail(this.stderr, 5);
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.child.stdin.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    callback(error);
  }
}
