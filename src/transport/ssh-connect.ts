// Opening one authenticated SSH connection: the socket (direct, through a jump host, or through a
// proxy command), host key verification, authentication, and errors that say what to check.
import { connect as tcpConnect } from "node:net";
import type { Duplex } from "node:stream";
import type { AuthHandlerMiddleware, Client, ConnectConfig } from "ssh2";
import { ConnectionError } from "../errors.js";
import type { SshEndpoint } from "./host-address.js";
import type { HostKeyCheck, KnownHosts } from "./host-key-check.js";
import { expandProxyCommand, ProxyCommandSocket } from "./proxy-command.js";
import { Authentication, type Identities } from "./ssh-auth.js";
import type { SshSettings } from "./types.js";

/** How the bytes reach the server. */
export type Route =
  | { readonly kind: "direct" }
  | { readonly kind: "jump"; readonly label: string; readonly open: (host: string, port: number) => Promise<Duplex> }
  | { readonly kind: "command"; readonly template: string };

export interface ConnectContext {
  readonly settings: Pick<SshSettings, "connectTimeoutMs" | "keepaliveIntervalMs">;
  readonly identities: Identities;
  readonly knownHosts: KnownHosts;
}

type Ssh2Error = Error & { level?: string; code?: string };

/** Resolves with a client that is authenticated and ready for channels. */
export async function connectClient(
  label: string,
  endpoint: SshEndpoint,
  route: Route,
  context: ConnectContext,
): Promise<Client> {
  const hostKeys = await context.knownHosts.prepare(label, endpoint.host, endpoint.port);
  const sock = await openSocket(label, endpoint, route);
  const ssh2 = await import("ssh2");
  const client = new ssh2.Client();
  const auth = new Authentication(endpoint.user, context.identities);
  let refusedHostKey: ConnectionError | undefined;

  return new Promise<Client>((resolve, reject) => {
    const settle = (error?: Ssh2Error): void => {
      client.off("ready", onReady).off("error", onError).off("close", onClose);
      if (error === undefined) return resolve(client);
      // A failed client can still report socket errors while it closes; they change nothing.
      client.on("error", () => {});
      client.destroy();
      sock.destroy();
      reject(refusedHostKey ?? explain(error));
    };
    const onReady = (): void => settle();
    const onError = (error: Ssh2Error): void => {
      // The agent failing is not fatal: ssh2 goes on with the next identity.
      if (error.level === "agent") auth.noteAgentProblem(error.message);
      else settle(error);
    };
    const onClose = (): void => settle(Object.assign(new Error("the connection closed during the handshake"), { level: "closed" }));
    const explain = (error: Ssh2Error): ConnectionError =>
      connectFailure(label, endpoint, route, error, { auth, sock, timeoutMs: context.settings.connectTimeoutMs });

    client.on("ready", onReady).on("error", onError).on("close", onClose);
    client.connect({
      sock,
      username: endpoint.user,
      readyTimeout: context.settings.connectTimeoutMs,
      keepaliveInterval: context.settings.keepaliveIntervalMs,
      // ssh2 accepts `false` (nothing left to try) from the handler; its typings omit it.
      authHandler: auth.handler as unknown as AuthHandlerMiddleware,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        hostKeys.verify(key).then(
          () => verify(true),
          (error: ConnectionError) => {
            refusedHostKey = error;
            verify(false);
          },
        );
      },
      ...hostKeyAlgorithms(hostKeys),
    });
  });
}

function hostKeyAlgorithms(hostKeys: HostKeyCheck): Pick<ConnectConfig, "algorithms"> {
  const preferred = [...hostKeys.preferredAlgorithms];
  if (preferred.length === 0) return {};
  return { algorithms: { serverHostKey: { remove: preferred, prepend: preferred, append: [] } } };
}

async function openSocket(label: string, endpoint: SshEndpoint, route: Route): Promise<Duplex> {
  switch (route.kind) {
    case "direct":
      // Without TCP_NODELAY every exec request waits ~40 ms for a delayed ACK (Nagle).
      return tcpConnect({ host: endpoint.host, port: endpoint.port, noDelay: true });
    case "command":
      return new ProxyCommandSocket(expandProxyCommand(route.template, endpoint));
    case "jump":
      try {
        return await route.open(endpoint.host, endpoint.port);
      } catch (error) {
        if (error instanceof ConnectionError) {
          throw new ConnectionError(label, `the jump host failed: ${error.message}`, { ...hintOf(error), cause: error });
        }
        const address = `${endpoint.host}:${endpoint.port}`;
        throw new ConnectionError(label, `jump host ${route.label} could not reach ${address}: ${(error as Error).message}`, {
          hint: `Check that ${address} is reachable from ${route.label} and that its sshd allows TCP forwarding.`,
          cause: error,
        });
      }
  }
}

function hintOf(error: ConnectionError): { hint?: string } {
  return error.hint === undefined ? {} : { hint: error.hint };
}

function connectFailure(
  label: string,
  endpoint: SshEndpoint,
  route: Route,
  error: Ssh2Error,
  context: { auth: Authentication; sock: Duplex; timeoutMs: number },
): ConnectionError {
  const address = `${endpoint.host}:${endpoint.port}`;
  const via = route.kind === "jump" ? ` (through jump host ${route.label})` : "";
  const proxySaid = context.sock instanceof ProxyCommandSocket ? context.sock.diagnostics() : "";
  const withProxyOutput = (hint: string): string => (proxySaid ? `${hint} The proxy command said: ${proxySaid}` : hint);
  const fail = (message: string, hint: string): ConnectionError =>
    new ConnectionError(label, message + via, { hint: withProxyOutput(hint), cause: error });

  if (error.level === "client-authentication") {
    const locked = context.auth.keysNotUnlocked;
    const because = locked.length > 0 ? `: key ${locked.join(", key ")}` : "";
    return fail(`authentication failed for ${endpoint.user}@${address}${because}`, context.auth.failureHint(endpoint.host));
  }
  if (error.level === "client-timeout") {
    return fail(
      `no SSH handshake with ${address} within ${context.timeoutMs / 1000} s`,
      "Check the address and port, and any firewall in between.",
    );
  }
  switch (error.code) {
    case "ECONNREFUSED":
      return fail(`connection refused by ${address}`, `Check that sshd listens on port ${endpoint.port} (ssh.port, or host:port in the host list).`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return fail(`cannot resolve ${endpoint.host}`, "Check the host name in the configuration and DNS.");
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return fail(`${address} is unreachable (${error.code})`, "Check the address, the network and any firewall in between.");
  }
  return fail(`${error.message} (${address})`, "Check that the host runs an SSH server on that port.");
}
