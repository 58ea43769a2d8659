// The SSH transport: one pooled connection per host for the whole invocation.
import pLimit, { type LimitFunction } from "p-limit";
import { ConnectionError } from "../errors.js";
import { emit, type Reporting } from "./command-report.js";
import { KnownHosts } from "./host-key-check.js";
import { OpenSshConfig } from "./openssh-config.js";
import { KeyRing, type Identities, type PassphrasePrompt } from "./ssh-auth.js";
import { connectClient, type Route } from "./ssh-connect.js";
import { resolveHost, type ResolvedHost } from "./ssh-resolve.js";
import { SshHostSession } from "./ssh-session.js";
import type { HostSession, Redact, SshSettings, Transport, TransportListener } from "./types.js";

export interface SshTransportOptions {
  readonly settings: SshSettings;
  readonly redact: Redact;
  readonly listener?: TransportListener;
  /** Asks for the passphrase of an encrypted key; without it, encrypted keys need an agent. */
  readonly passphrasePrompt?: PassphrasePrompt;
  /** `ssh.log_level: debug`: told, per host, which config entries, keys and jump hosts are used. */
  readonly debug?: (message: string, host?: string) => void;
}

export class SshTransport implements Transport {
  readonly kind = "ssh";
  private readonly settings: SshSettings;
  private readonly reporting: Reporting;
  private readonly knownHosts = new Map<string, KnownHosts>();
  private readonly keyRing: KeyRing;
  private readonly debug: ((message: string, host?: string) => void) | undefined;
  private readonly starts: LimitFunction;
  // A failed connection stays failed for the invocation, so later steps fail fast instead of
  // waiting out another timeout.
  private readonly sessions = new Map<string, Promise<SshHostSession>>();
  private readonly jumpHosts = new Map<string, Promise<SshHostSession>>();
  private openSshConfig: Promise<OpenSshConfig> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: SshTransportOptions) {
    this.settings = options.settings;
    this.reporting = { redact: options.redact, listener: options.listener };
    this.keyRing = new KeyRing(options.passphrasePrompt ?? (async () => undefined));
    this.debug = options.debug;
    this.starts = pLimit(Math.max(1, options.settings.maxConcurrentStarts));
  }

  session(host: string): Promise<HostSession> {
    return this.pooled(this.sessions, host, async () => this.connect(await this.resolve(host), { throttled: true }));
  }

  close(): Promise<void> {
    this.closing ??= this.endAll();
    return this.closing;
  }

  /** Where `host` is reached and how, after deploy.yml and the OpenSSH config files. */
  private async resolve(host: string): Promise<ResolvedHost> {
    const resolved = resolveHost(host, this.settings, await this.config());
    if (this.debug) this.describe(resolved);
    return resolved;
  }

  private config(): Promise<OpenSshConfig> {
    this.openSshConfig ??= OpenSshConfig.read(this.settings.configFiles).then((config) => {
      const read = config.files.length > 0 ? config.files.join(", ") : "none";
      this.debug?.(`ssh: OpenSSH config files read: ${read}`);
      return config;
    });
    return this.openSshConfig;
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

  private async connect(target: ResolvedHost, { throttled }: { throttled: boolean }): Promise<SshHostSession> {
    const identities = await this.identitiesFor(target);
    const open = async (): Promise<SshHostSession> => {
      const started = performance.now();
      const client = await connectClient(target.label, target.endpoint, this.routeTo(target), {
        settings: target,
        identities,
        knownHosts: this.knownHostsFor(target),
      });
      emit(this.reporting, { type: "connect", host: target.label, durationMs: Math.round(performance.now() - started) });
      return new SshHostSession(target.label, client, this.reporting);
    };
    return throttled ? this.starts(open) : open();
  }

  private routeTo(target: ResolvedHost): Route {
    const { route } = target;
    switch (route.kind) {
      case "direct":
        return route;
      case "command":
        return route;
      case "jump":
        return {
          kind: "jump",
          label: route.via.label,
          open: async (host, port) => (await this.jumpHost(route.via)).openTunnel(host, port),
        };
    }
  }

  // Outside the start limit: the targets waiting on a jump host already hold the slots.
  private jumpHost(hop: ResolvedHost): Promise<SshHostSession> {
    return this.pooled(this.jumpHosts, hop.key, () => this.connect(hop, { throttled: false }));
  }

  private async identitiesFor(target: ResolvedHost): Promise<Identities> {
    const identities = await this.keyRing.identities({ ...target, keyData: this.settings.keyData });
    if (this.debug) {
      const offered = identities.usable.map((i) => i.label).join(", ") || "none";
      const skipped = identities.skipped.length > 0 ? `; skipped: ${identities.skipped.join(", ")}` : "";
      this.debug(`ssh: keys offered to ${target.endpoint.user}@${target.endpoint.host}: ${offered}${skipped}`, target.label);
    }
    return identities;
  }

  // One checker per set of files and policy, so that appends to a file stay serialised.
  private knownHostsFor(target: ResolvedHost): KnownHosts {
    const key = `${target.hostKeyPolicy} ${target.knownHostsFiles.join("\n")}`;
    let checker = this.knownHosts.get(key);
    if (!checker) {
      checker = new KnownHosts(target);
      this.knownHosts.set(key, checker);
    }
    return checker;
  }

  private describe(target: ResolvedHost): void {
    const { user, host, port } = target.endpoint;
    const entries = target.entries.length > 0 ? target.entries.join("; ") : "no config entry";
    this.debug?.(`ssh: ${target.label} is ${user}@${host}:${port} (${entries})`, target.label);
    const hops: string[] = [];
    for (let route = target.route; route.kind === "jump"; route = route.via.route) {
      const via = route.via.endpoint;
      hops.unshift(`${route.via.label} (${via.user}@${via.host}:${via.port}${route.via.entries.length > 0 ? `; ${route.via.entries.join("; ")}` : ""})`);
    }
    if (hops.length > 0) this.debug?.(`ssh: jump hosts: ${hops.join(" -> ")}`, target.label);
    if (target.route.kind === "command") this.debug?.(`ssh: proxy command: ${target.route.template}`, target.label);
    this.debug?.(
      `ssh: host keys: ${target.hostKeyPolicy}, known_hosts: ${target.knownHostsFiles.join(", ") || "none"}; ` +
        `connect timeout ${target.connectTimeoutMs / 1000} s, keepalive every ${target.keepaliveIntervalMs / 1000} s`,
      target.label,
    );
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
