// The SSH transport: one pooled connection per host for the whole invocation.
import pLimit, { type LimitFunction } from "p-limit";
import { ConnectionError } from "../errors.js";
import { emit, type Reporting } from "./command-report.js";
import { parseHostAddress } from "./host-address.js";
import { KnownHosts } from "./host-key-check.js";
import { loadIdentities, type Identities } from "./ssh-auth.js";
import { connectClient, type ConnectContext, type Route } from "./ssh-connect.js";
import { SshHostSession } from "./ssh-session.js";
import type { HostSession, Redact, SshSettings, Transport, TransportListener } from "./types.js";

export interface SshTransportOptions {
  readonly settings: SshSettings;
  readonly redact: Redact;
  readonly listener?: TransportListener;
}

export class SshTransport implements Transport {
  readonly kind = "ssh";
  private readonly settings: SshSettings;
  private readonly reporting: Reporting;
  private readonly knownHosts: KnownHosts;
  private readonly starts: LimitFunction;
  // A failed connection stays failed for the invocation, so later steps fail fast instead of
  // waiting out another timeout.
  private readonly sessions = new Map<string, Promise<SshHostSession>>();
  private readonly jumpHosts = new Map<string, Promise<SshHostSession>>();
  private identities: Promise<Identities> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: SshTransportOptions) {
    this.settings = options.settings;
    this.reporting = { redact: options.redact, listener: options.listener };
    this.knownHosts = new KnownHosts(options.settings);
    this.starts = pLimit(Math.max(1, options.settings.maxConcurrentStarts));
  }

  session(host: string): Promise<HostSession> {
    return this.pooled(this.sessions, host, () => this.connect(host, this.routeTo(), { throttled: true }));
  }

  close(): Promise<void> {
    this.closing ??= this.endAll();
    return this.closing;
  }

  private pooled(pool: Map<string, Promise<SshHostSession>>, key: string, open: () => Promise<SshHostSession>): Promise<SshHostSession> {
    if (this.closing) return Promise.reject(new ConnectionError(key, "the SSH transport is already closed"));
    let session = pool.get(key);
    if (!session) {
      session = open();
      pool.set(key, session);
    }
    return session;
  }

  private async connect(host: string, route: Route, { throttled }: { throttled: boolean }): Promise<SshHostSession> {
    const endpoint = parseHostAddress(host, this.settings);
    const context = await this.connectContext();
    const open = async (): Promise<SshHostSession> => {
      const started = performance.now();
      const client = await connectClient(host, endpoint, route, context);
      emit(this.reporting, { type: "connect", host, durationMs: Math.round(performance.now() - started) });
      return new SshHostSession(host, client, this.reporting);
    };
    return throttled ? this.starts(open) : open();
  }

  // As in Kamal, a jump host wins over a proxy command when both are set.
  private routeTo(): Route {
    const { proxy, proxyCommand } = this.settings;
    if (proxy) {
      return {
        kind: "jump",
        label: proxy,
        open: async (host, port) => (await this.jumpHost(proxy)).openTunnel(host, port),
      };
    }
    if (proxyCommand) return { kind: "command", template: proxyCommand };
    return { kind: "direct" };
  }

  // Outside the start limit: the targets waiting on a jump host already hold the slots.
  private jumpHost(spec: string): Promise<SshHostSession> {
    return this.pooled(this.jumpHosts, spec, () => this.connect(spec, { kind: "direct" }, { throttled: false }));
  }

  private async connectContext(): Promise<ConnectContext> {
    this.identities ??= loadIdentities(this.settings);
    return { settings: this.settings, identities: await this.identities, knownHosts: this.knownHosts };
  }

  private async endAll(): Promise<void> {
    const endSessions = async (pool: Map<string, Promise<SshHostSession>>): Promise<void> => {
      const settled = await Promise.allSettled(pool.values());
      await Promise.all(settled.map((s) => (s.status === "fulfilled" ? s.value.end() : undefined)));
    };
    await endSessions(this.sessions);
    await endSessions(this.jumpHosts);
  }
}
