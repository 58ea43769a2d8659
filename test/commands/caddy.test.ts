import { describe, expect, it } from "vitest";
import {
  containerAliases,
  listSlotMarkers,
  mainCaddyfile,
  parseUpstreamRequests,
  parseProxyHostState,
  prepareProxyHost,
  probeContainer,
  reloadProxy,
  runProxy,
  servingSlot,
  siteFile,
  slotOfAliases,
  startOrRunProxy,
  switchToSlot,
  upstreamRequests,
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
  it("route a plain HTTP host to the serving slot's alias, checking the slot marker per request", () => {
    const config = kamal("  host: app.example.com\n  app_port: 3000");
    const web = config.primaryRole;
    const file = siteFile(config, web, proxySettings(config, web));
    expect(file.split("\n")[0]).toMatch(/^# mrsk service=app role=web destination= hosts=app\.example\.com digest=[0-9a-f]{16}$/);
    const proxy = (upstream: string) => [
      `\t\treverse_proxy ${upstream} {`,
      "\t\t\tlb_try_duration 10s",
      "\t\t\tlb_try_interval 50ms",
      "\t\t\ttransport http {",
      "\t\t\t\tkeepalive off",
      "\t\t\t\tresponse_header_timeout 30s",
      "\t\t\t}",
      "\t\t}",
    ];
    expect(body(file)).toBe(
      [
        "http://app.example.com {",
        "\t@slot_b file {",
        "\t\troot /etc/caddy/live",
        "\t\ttry_files /app-web.b",
        "\t}",
        "\thandle @slot_b {",
        ...proxy("app-web.live-b:3000"),
        "\t}",
        "\thandle {",
        ...proxy("app-web.live:3000"),
        "\t}",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("serve HTTPS for ssl: true (Caddy redirects HTTP), or both without the redirect", () => {
    const ssl = kamal("  hosts: [a.example.com, b.example.com]\n  ssl: true\n  forward_headers: true\n  response_timeout: 10");
    expect(body(siteFile(ssl, ssl.primaryRole, proxySettings(ssl, ssl.primaryRole)))).toMatch(
      /^a\.example\.com, b\.example\.com \{\n\t@slot_b file \{[\s\S]*\t\treverse_proxy app-web\.live-b:80 \{[\s\S]*response_header_timeout 10s[\s\S]*\t\ttrusted_proxies 0\.0\.0\.0\/0 ::\/0\n/,
    );
    const noRedirect = kamal("  host: a.example.com\n  ssl: true\n  ssl_redirect: false");
    expect(body(siteFile(noRedirect, noRedirect.primaryRole, proxySettings(noRedirect, noRedirect.primaryRole))).split("\n")[0]).toBe("a.example.com, http://a.example.com {");
  });

  it("take everything no other app claims without a host, and strip path prefixes", () => {
    const config = kamal("  path_prefix: /api");
    const lines = body(siteFile(config, config.primaryRole, proxySettings(config, config.primaryRole))).split("\n");
    expect(lines.slice(0, 3)).toEqual([":80 {", "\thandle_path /api* {", "\t\t@slot_b file {"]);
    expect(lines).toContain("\t\t\treverse_proxy app-web.live:80 {");
  });

  it("answer 503 with the message in maintenance, and 200 on the health path", () => {
    const config = kamal("  host: a.example.com");
    const file = siteFile(config, config.primaryRole, proxySettings(config, config.primaryRole), { maintenance: "Back at noon" });
    expect(file.split("\n")[0]).toContain(" maintenance=on ");
    expect(body(file)).toBe(
      'http://a.example.com {\n\thandle /up {\n\t\trespond 200\n\t}\n\thandle {\n\t\theader Content-Type "text/html; charset=utf-8"\n' +
        '\t\trespond "<!DOCTYPE html><title>Maintenance</title><p>Back at noon</p>" 503\n\t}\n}\n',
    );
  });

  it("escape Caddy's placeholders, string escapes and HTML in the maintenance message", () => {
    const config = kamal("  host: a.example.com");
    const message = 'Back {$HOME} {env.HOME} {file./etc/passwd} \\{x\\} "q" `b` <script>&\nend\\';
    const file = siteFile(config, config.primaryRole, proxySettings(config, config.primaryRole), { maintenance: message });
    const respond = body(file).split("\n").find((l) => l.includes("respond") && l.includes("503"))!;
    expect(respond).toBe(
      '\t\trespond "<!DOCTYPE html><title>Maintenance</title><p>Back &#123;&#36;HOME&#125; &#123;env.HOME&#125; &#123;file./etc/passwd&#125; ' +
        '&#92;&#123;x&#92;&#125; &#34;q&#34; &#96;b&#96; &#60;script&#62;&#38;&#10;end&#92;</p>" 503',
    );
    // Nothing Caddy reads as a placeholder, an escape or the end of the string is left in the text.
    expect(respond.slice(respond.indexOf("<p>"), respond.indexOf("</p>"))).not.toMatch(/[{}$\\"`]/);
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

  it("switch by reconnecting the new container with the free slot's alias, then flipping the slot marker", () => {
    const web = config.primaryRole;
    expect(toShell(switchToSlot(web, "b", "app-web-2"))).toBe(
      "docker network disconnect mrsk app-web-2 && docker network connect --alias app-web.live-b mrsk app-web-2 && mkdir -p .mrsk/proxy/live && touch .mrsk/proxy/live/app-web.b",
    );
    expect(toShell(switchToSlot(web, "a", "app-web-3"))).toBe(
      "docker network disconnect mrsk app-web-3 && docker network connect --alias app-web.live mrsk app-web-3 && rm -f .mrsk/proxy/live/app-web.b",
    );
    expect(toShell(listSlotMarkers())).toBe("ls -1 .mrsk/proxy/live 2>/dev/null ; true");
    expect(servingSlot(web, "app-web.b\nblog-web.b\n")).toBe("b");
    expect(servingSlot(web, "app-web-staging.b\n")).toBe("a");
    expect(toShell(containerAliases("app-web-1"))).toBe(`docker inspect --format '{{json (index .NetworkSettings.Networks "mrsk").Aliases}}' app-web-1`);
    expect(slotOfAliases(web, '["app-web.live-b","0123456789ab"]')).toBe("b");
    expect(slotOfAliases(web, '["app-web.live"]')).toBe("a");
    expect(slotOfAliases(web, "null")).toBeUndefined();
  });

  it("read Caddy's requests in flight per upstream from its admin API", () => {
    expect(toShell(upstreamRequests())).toBe("docker exec mrsk-proxy wget -qO- http://localhost:2019/reverse_proxy/upstreams");
    expect(parseUpstreamRequests('[{"address":"app-web.live:3000","num_requests":2,"fails":0},{"address":"app-web.live-b:3000","num_requests":0,"fails":0}]')).toEqual(
      new Map([
        ["app-web.live:3000", 2],
        ["app-web.live-b:3000", 0],
      ]),
    );
    expect(parseUpstreamRequests("404 page not found")).toBeUndefined();
  });

  it("read the proxy's state and the headers of the files mrsk wrote", () => {
    expect(toShell(prepareProxyHost())).toBe(
      "docker network inspect mrsk >/dev/null 2>&1 || docker network create mrsk >/dev/null 2>&1 ; mkdir -p .mrsk/proxy/sites .mrsk/proxy/certs .mrsk/proxy/live ; docker container inspect --format '{{.State.Running}}' mrsk-proxy 2>/dev/null ; head -qn1 .mrsk/proxy/Caddyfile .mrsk/proxy/sites/*.caddy 2>/dev/null ; true",
    );
    const state = parseProxyHostState("true\n# mrsk file=main digest=aaa\n# mrsk service=blog role=web destination=staging hosts=blog.test digest=bbb\n");
    expect(state.running).toBe(true);
    expect(state.main).toEqual({ file: "main", digest: "aaa" });
    expect(state.sites.get("blog-web-staging.caddy")).toMatchObject({ hosts: "blog.test", digest: "bbb" });
  });
});
