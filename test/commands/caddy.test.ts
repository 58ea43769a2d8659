import { describe, expect, it } from "vitest";
import {
  addToRotation,
  mainCaddyfile,
  parseProxyHostState,
  prepareProxyHost,
  probeContainer,
  reloadProxy,
  runProxy,
  siteFile,
  startOrRunProxy,
} from "../../src/commands/caddy.js";
import { toShell } from "../../src/commands/shell.js";
import { proxyRunSettings, proxySettings } from "../../src/config/proxy.js";
import { configFrom } from "../support/config.js";

const kamal = (proxy: string, extra = "") =>
  configFrom(`
service: app
image: dhh/app
servers: [1.1.1.1]
registry: { server: localhost:5000 }
builder: { arch: amd64 }
proxy:
${proxy}
${extra}`);

const body = (file: string) => file.slice(file.indexOf("\n") + 1);

describe("Caddy site files", () => {
  it("route a plain HTTP host to the role's network alias, resolving it per request", () => {
    const config = kamal("  host: app.example.com\n  app_port: 3000");
    const web = config.primaryRole;
    const file = siteFile(config, web, proxySettings(config, web));
    expect(file.split("\n")[0]).toMatch(/^# mrsk service=app role=web destination= hosts=app\.example\.com digest=[0-9a-f]{16}$/);
    expect(body(file)).toBe(
      [
        "http://app.example.com {",
        "\treverse_proxy app-web.live:3000 {",
        "\t\tlb_try_duration 10s",
        "\t\tlb_try_interval 50ms",
        "\t\ttransport http {",
        "\t\t\tkeepalive off",
        "\t\t\tresponse_header_timeout 30s",
        "\t\t}",
        "\t}",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("serve HTTPS for ssl: true (Caddy redirects HTTP), or both without the redirect", () => {
    const ssl = kamal("  hosts: [a.example.com, b.example.com]\n  ssl: true\n  forward_headers: true\n  response_timeout: 10");
    expect(body(siteFile(ssl, ssl.primaryRole, proxySettings(ssl, ssl.primaryRole)))).toMatch(
      /^a\.example\.com, b\.example\.com \{\n\treverse_proxy app-web\.live:80 \{[\s\S]*response_header_timeout 10s[\s\S]*\ttrusted_proxies 0\.0\.0\.0\/0 ::\/0\n/,
    );
    const noRedirect = kamal("  host: a.example.com\n  ssl: true\n  ssl_redirect: false");
    expect(body(siteFile(noRedirect, noRedirect.primaryRole, proxySettings(noRedirect, noRedirect.primaryRole))).split("\n")[0]).toBe("a.example.com, http://a.example.com {");
  });

  it("take everything no other app claims without a host, and strip path prefixes", () => {
    const config = kamal("  path_prefix: /api");
    expect(body(siteFile(config, config.primaryRole, proxySettings(config, config.primaryRole))).split("\n").slice(0, 3)).toEqual([
      ":80 {",
      "\thandle_path /api* {",
      "\t\treverse_proxy app-web.live:80 {",
    ]);
  });

  it("answer 503 with the message in maintenance, and 200 on the health path", () => {
    const config = kamal("  host: a.example.com");
    const file = siteFile(config, config.primaryRole, proxySettings(config, config.primaryRole), { maintenance: "Back at noon" });
    expect(file.split("\n")[0]).toContain(" maintenance=on ");
    expect(body(file)).toBe('http://a.example.com {\n\thandle /up {\n\t\trespond 200\n\t}\n\thandle {\n\t\trespond "Back at noon" 503\n\t}\n}\n');
  });

  it("use custom certificates from the proxy's certs directory", () => {
    const config = configFrom({
      deploy: "service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry: { server: localhost:5000 }\nbuilder: { arch: amd64 }\nproxy:\n  host: a.example.com\n  ssl:\n    certificate_pem: CERT\n    private_key_pem: KEY\n",
      files: { ".kamal/secrets": "CERT=cert-pem-data\nKEY=key-pem-data\n" },
    });
    expect(body(siteFile(config, config.primaryRole, proxySettings(config, config.primaryRole))).split("\n").slice(0, 2)).toEqual([
      "a.example.com {",
      "\ttls /etc/caddy/certs/app-web/cert.pem /etc/caddy/certs/app-web/key.pem",
    ]);
  });

  it("merge a role's proxy settings over the root ones", () => {
    const config = configFrom(`
service: app
image: dhh/app
registry: { server: localhost:5000 }
builder: { arch: amd64 }
proxy: { host: a.example.com, app_port: 3000, healthcheck: { path: /health } }
servers:
  web: [1.1.1.1]
  api:
    hosts: [1.1.1.2]
    proxy: { host: api.example.com }
`);
    expect(proxySettings(config, config.role("api")!)).toMatchObject({ hosts: ["api.example.com"], appPort: 3000, healthcheck: { path: "/health", intervalMs: 250, timeoutSeconds: 5 } });
  });
});

describe("Caddy proxy commands", () => {
  const config = kamal("  host: a.example.com", "");
  const run = proxyRunSettings(config);

  it("run caddy:2 on the mrsk network, publishing 80 and 443, with its files and certificate volumes", () => {
    expect(toShell(runProxy(run))).toBe(
      'docker run --name mrsk-proxy --network mrsk --detach --restart unless-stopped --publish 80:80 --publish 443:443 --volume "${PWD}/.mrsk/proxy:/etc/caddy" --volume mrsk-proxy-data:/data --volume mrsk-proxy-config:/config --env XDG_DATA_HOME=/data --env XDG_CONFIG_HOME=/config --label mrsk-proxy=true --log-opt max-size=10m caddy:2 caddy run --config /etc/caddy/Caddyfile --adapter caddyfile',
    );
    expect(toShell(startOrRunProxy(run))).toMatch(/^docker container start mrsk-proxy 2>\/dev\/null \|\| docker run --name mrsk-proxy /);
    expect(toShell(reloadProxy())).toBe("docker exec mrsk-proxy caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile");
  });

  it("take the image, ports and bind addresses from proxy.run", () => {
    const custom = proxyRunSettings(kamal("  host: a\n  run:\n    image: my/caddy:2.8\n    http_port: 8080\n    https_port: 8443\n    bind_ips: [10.0.0.1]\n    tls_issuer: internal"));
    expect(toShell(runProxy(custom))).toContain("--publish 10.0.0.1:8080:80 --publish 10.0.0.1:8443:443");
    expect(toShell(runProxy(custom))).toContain(" my/caddy:2.8 caddy run");
    expect(body(mainCaddyfile(custom))).toBe("{\n\tadmin localhost:2019\n\tlocal_certs\n}\n\nimport /etc/caddy/sites/*.caddy\n");
  });

  it("probe a container over the mrsk network from the host", () => {
    expect(toShell(probeContainer("app-web-2", 3000, "/up", 5))).toBe(
      `curl --silent --show-error --output /dev/null --max-time 5 --write-out '%{http_code} %{time_total} %{redirect_url}' "http://$(docker inspect --format '{{(index .NetworkSettings.Networks "mrsk").IPAddress}}' app-web-2):3000/up"`,
    );
  });

  it("switch by reconnecting the new container with the role's alias", () => {
    expect(toShell(addToRotation(config.primaryRole, "app-web-2"))).toBe("docker network disconnect mrsk app-web-2 && docker network connect --alias app-web.live mrsk app-web-2");
  });

  it("read the proxy's state and the headers of the files mrsk wrote", () => {
    expect(toShell(prepareProxyHost())).toBe(
      "docker network inspect mrsk >/dev/null 2>&1 || docker network create mrsk >/dev/null 2>&1 ; mkdir -p .mrsk/proxy/sites .mrsk/proxy/certs ; docker container inspect --format '{{.State.Running}}' mrsk-proxy 2>/dev/null ; head -qn1 .mrsk/proxy/Caddyfile .mrsk/proxy/sites/*.caddy 2>/dev/null ; true",
    );
    const state = parseProxyHostState("true\n# mrsk file=main digest=aaa\n# mrsk service=blog role=web destination=staging hosts=blog.test digest=bbb\n");
    expect(state.running).toBe(true);
    expect(state.main).toEqual({ file: "main", digest: "aaa" });
    expect(state.sites.get("blog-web-staging.caddy")).toMatchObject({ hosts: "blog.test", digest: "bbb" });
  });
});
