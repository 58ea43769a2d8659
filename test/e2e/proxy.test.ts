import { spawn } from "node:child_process";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { describeLoad, getOnce, startLoad } from "../../tools/load.mjs";
import { createProject, describeRig, proxyConfig, resetHosts, type MrskRun, type Project } from "./support/project.js";
import { httpGet, onHost, rigUp, type RigState } from "./support/rig.js";

// The Caddy driver on two real hosts: zero failed requests under keep-alive load through many
// deploys, a rollback and a failing deploy; two apps sharing the proxies by host name; HTTPS from
// Caddy's internal CA (standing in for Let's Encrypt); maintenance mode.

let rig: RigState;
let alpha: Project;
let beta: Project;
let last: MrskRun | undefined;
const ADDRESSES = ["10.213.0.11", "10.213.0.12"];
// Each service its own repository: an image carries its service's label, checked after every pull.
const BETA_IMAGE = "mrsk-e2e/sample-beta";

async function run(project: Project, args: string[], env: Record<string, string> = {}): Promise<MrskRun> {
  last = await project.mrsk(args, env);
  return last;
}

function reportOnFailure(): void {
  onTestFailed(async () => {
    const proxyErrors = await Promise.all([1, 2].map((i) => onHost(i, "docker logs mrsk-proxy 2>&1 | grep -v 'install root' | grep -i error | tail -20")));
    console.error(
      `mrsk output:\n${last?.output ?? "(none)"}\n\nrig state:\n${await describeRig(rig)}\n${(await onHost(1, "cat .mrsk/proxy/sites/*.caddy")).stdout}\n` +
        `proxy errors:\n${proxyErrors.map((r) => r.stdout).join("\n---\n")}`,
    );
  });
}

/** Processes that keep `count` cores busy (the machine saturated, as in a loaded CI run), killed after `maxMs` at the latest. */
function busyCores(count: number, maxMs: number): { stop(): void } {
  const burners = Array.from({ length: count }, () => spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));
  const stop = () => burners.forEach((b) => b.kill("SIGKILL"));
  const limit = setTimeout(stop, maxMs);
  return {
    stop() {
      clearTimeout(limit);
      stop();
    },
  };
}

function report(name: string, result: Parameters<typeof describeLoad>[0]): void {
  console.log(`${name}: ${describeLoad(result)}`);
}

beforeAll(async () => {
  rig = await rigUp({ hosts: 2 });
  await resetHosts(rig);
  alpha = createProject(rig, "alpha");
  alpha.writeConfig(proxyConfig(rig, "alpha", { host: "alpha.test" }));
  beta = createProject(rig, "beta");
  beta.writeConfig(proxyConfig(rig, "beta", { host: "beta.test", image: BETA_IMAGE }));
});

afterAll(async () => {
  alpha?.remove();
  beta?.remove();
  await resetHosts(rig);
});

describe("Caddy proxy driver", () => {
  it("deploys v1 and v2 and answers through the proxy on every host", async () => {
    reportOnFailure();
    expect((await run(alpha, ["deploy"], { VERSION: "v1" })).exitCode).toBe(0);
    for (const address of ADDRESSES) expect((await httpGet(address, "/version", { host: "alpha.test" })).body.trim()).toBe("v1");
    expect((await run(alpha, ["deploy"], { VERSION: "v2" })).exitCode).toBe(0);
    for (const address of ADDRESSES) expect((await httpGet(address, "/version", { host: "alpha.test" })).body.trim()).toBe("v2");
  });

  it("loses no GET or POST under keep-alive load through 10 deploys and a rollback with both cores busy, and lets a slow request finish", async () => {
    reportOnFailure();
    const loads = ADDRESSES.map((address) => startLoad({ address, path: "/version", postPath: "/cgi-bin/whoami", host: "alpha.test", connections: 6 }));
    const slow = getOnce(ADDRESSES[0]!, "/cgi-bin/slow?seconds=4", "alpha.test");
    const burners = busyCores(2, 150_000);
    try {
      for (let i = 0; i < 10; i++) {
        const version = i % 2 === 0 ? "v1" : "v2";
        const deployed = await run(alpha, ["deploy", "-P"], { VERSION: version });
        expect(deployed.exitCode, deployed.output).toBe(0);
      }
      expect((await run(alpha, ["rollback", "v1"])).exitCode).toBe(0);
    } finally {
      burners.stop();
      const results = await Promise.all(loads.map((l) => l.stop()));
      results.forEach((r, i) => report(`load on ${ADDRESSES[i]}`, r));
      for (const r of results) {
        expect(r.failures).toBe(0);
        expect(r.requests).toBeGreaterThan(200);
        expect(r.posts).toBeGreaterThan(100);
        expect([...r.bodies.keys()].every((v) => v === "v1" || v === "v2")).toBe(true);
      }
    }
    const slowAnswer = await slow;
    console.log(`slow request: HTTP ${slowAnswer.status} after ${slowAnswer.ms} ms`);
    expect(slowAnswer.status).toBe(200);
    for (const address of ADDRESSES) expect((await httpGet(address, "/version", { host: "alpha.test" })).body.trim()).toBe("v1");
  });

  it("keeps serving the old version with no failed request when the new one fails its health check", async () => {
    reportOnFailure();
    const loads = ADDRESSES.map((address) => startLoad({ address, path: "/version", host: "alpha.test", connections: 6 }));
    let failed: MrskRun;
    try {
      failed = await run(alpha, ["deploy"], { VERSION: "v3", BROKEN: "1" });
    } finally {
      const results = await Promise.all(loads.map((l) => l.stop()));
      results.forEach((r, i) => report(`load during failed deploy on ${ADDRESSES[i]}`, r));
      for (const r of results) {
        expect(r.failures).toBe(0);
        expect([...r.bodies.keys()]).toEqual(["v1"]);
      }
    }
    expect(failed!.exitCode).toBe(1);
    expect(failed!.stderr).toMatch(/alpha-web-v3 on 10\.213\.0\.1[12] did not become healthy \(no 2xx answer within deploy_timeout \(10s\)\); traffic was not switched/);
    expect(failed!.stderr).toMatch(/404 ×\d+/);
    expect(failed!.stderr).toContain("hint: /up answered 404: does the app serve /up?");
    for (const address of ADDRESSES) expect((await httpGet(address, "/version", { host: "alpha.test" })).body.trim()).toBe("v1");
  }, 120_000);

  it("serves a second app from another config on the same proxies by host name, each deploying on its own", async () => {
    reportOnFailure();
    expect((await run(beta, ["deploy"], { VERSION: "v2" })).exitCode).toBe(0);
    for (const address of ADDRESSES) {
      expect((await httpGet(address, "/version", { host: "beta.test" })).body.trim()).toBe("v2");
      expect((await httpGet(address, "/version", { host: "alpha.test" })).body.trim()).toBe("v1");
    }
    const load = startLoad({ address: ADDRESSES[0]!, path: "/version", host: "alpha.test", connections: 4 });
    expect((await run(beta, ["deploy"], { VERSION: "v1" })).exitCode).toBe(0);
    const result = await load.stop();
    report("alpha while beta deploys", result);
    expect(result.failures).toBe(0);
    expect((await httpGet(ADDRESSES[1]!, "/version", { host: "beta.test" })).body.trim()).toBe("v1");
  });

  it("refuses a host name another app already routes", async () => {
    reportOnFailure();
    beta.writeConfig(proxyConfig(rig, "beta", { host: "alpha.test", image: BETA_IMAGE }));
    const refused = await run(beta, ["deploy", "-P"], { VERSION: "v1" });
    beta.writeConfig(proxyConfig(rig, "beta", { host: "beta.test", image: BETA_IMAGE }));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("10.213.0.11: alpha.test already routed to alpha (web)");
    expect((await httpGet(ADDRESSES[0]!, "/version", { host: "beta.test" })).body.trim()).toBe("v1");
  });

  it("serves HTTPS with a certificate for the host name and redirects HTTP to it", async () => {
    reportOnFailure();
    alpha.writeConfig(proxyConfig(rig, "alpha", { host: "alpha.test", ssl: true }));
    expect((await run(alpha, ["deploy", "-P"], { VERSION: "v2" })).exitCode).toBe(0);
    const redirect = await httpGet(ADDRESSES[0]!, "/version", { host: "alpha.test" });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe("https://alpha.test/version");
    const certificate = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const socket = tls.connect({ host: ADDRESSES[1]!, port: 443, servername: "alpha.test", rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      });
      socket.on("error", reject);
    });
    expect(certificate.subjectaltname).toContain("DNS:alpha.test");
    expect(String(certificate.issuer.CN)).toMatch(/Caddy Local Authority/);
  });

  it("answers 503 in maintenance mode and the app again when live", async () => {
    reportOnFailure();
    beta.writeConfig(proxyConfig(rig, "beta", { host: "beta.test", image: BETA_IMAGE }));
    expect((await run(beta, ["app", "maintenance", "--message", "Back at noon {$HOME} {env.HOME}"])).exitCode).toBe(0);
    const down = await httpGet(ADDRESSES[0]!, "/version", { host: "beta.test" });
    expect(down.status).toBe(503);
    // Caddy's placeholders in the message reach the page as text, never expanded.
    expect(down.body).toContain("Back at noon &#123;&#36;HOME&#125; &#123;env.HOME&#125;");
    expect((await httpGet(ADDRESSES[0]!, "/up", { host: "beta.test" })).status).toBe(200);
    expect((await run(beta, ["app", "live"])).exitCode).toBe(0);
    expect((await httpGet(ADDRESSES[0]!, "/version", { host: "beta.test" })).body.trim()).toBe("v1");
  });
});
