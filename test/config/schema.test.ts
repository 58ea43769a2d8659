import { describe, expect, it } from "vitest";
import { parseRubyYaml, RubyFloat } from "../../src/config/ruby-yaml.js";
import { detectEra, kamalSignals, validateShape, type Era } from "../../src/config/schema.js";
import { closestKey, editDistance } from "../../src/config/schema-suggest.js";

const FILE = "config/deploy.yml";

function yml(text: string): unknown {
  return parseRubyYaml(text, FILE).value;
}

function check(doc: unknown, era: Era = detectEra(doc)) {
  return validateShape(doc, { era, fileOf: () => FILE });
}

/** `path: message (hint)` for each issue, the way they read in a terminal. */
function lines(issues: readonly { path: string; message: string; hint?: string }[]): string[] {
  return issues.map((i) => `${i.path}: ${i.message}${i.hint === undefined ? "" : ` (${i.hint})`}`);
}

const mrsk = {
  service: "app",
  image: "user/app",
  servers: ["1.1.1.1"],
  registry: { username: "user", password: ["MRSK_REGISTRY_PASSWORD"] },
};

const kamal = {
  service: "app",
  image: "user/app",
  servers: { web: ["1.1.1.1"] },
  registry: { username: "user", password: ["KAMAL_REGISTRY_PASSWORD"] },
  builder: { arch: "amd64" },
  proxy: { ssl: true, host: "app.example.com" },
};

describe("accepted shapes", () => {
  it("accepts a minimal MRSK 0.13 file", () => {
    const result = check(mrsk);
    expect(result).toEqual({ config: mrsk, issues: [], warnings: [] });
  });

  it("accepts an MRSK 0.13 file using every section of that era", () => {
    const doc = yml(`
service: hey
image: 37s/hey
servers:
  web:
    hosts: [1.1.1.1, 1.1.1.2]
    labels: { traefik.http.routers.hey.rule: "Host(\`hey.com\`)" }
    options: { memory: 2g, cap-add: true, network: [private] }
    healthcheck: { path: /health, port: 4000 }
  workers:
    hosts: 1.1.1.3
    cmd: bin/jobs
    traefik: true
    env:
      clear: { QUEUE: default }
      secret: [REDIS_URL]
registry:
  server: registry.digitalocean.com
  username: [MRSK_REGISTRY_USER]
  password: [MRSK_REGISTRY_PASSWORD]
env:
  clear: { WEB_CONCURRENCY: 2 }
  secret: [RAILS_MASTER_KEY]
labels: { my-label: value }
volumes: ["/data:/rails/data"]
logging: { driver: awslogs, options: { awslogs-region: eu-west-1 } }
builder:
  multiarch: false
  local: { arch: arm64, host: unix:///var/run/docker.sock }
  remote: { arch: amd64, host: ssh://root@1.1.1.9 }
  args: { RUBY_VERSION: 3.2.2 }
  secrets: [GITHUB_TOKEN]
  dockerfile: Dockerfile.production
  context: .
accessories:
  db:
    image: mysql:8.0
    host: 1.1.1.5
    port: 3306
    env: { MYSQL_ROOT_HOST: "%" }
    files: [config/my.cnf:/etc/mysql/my.cnf]
    directories: [data:/var/lib/mysql]
    volumes: [/backups:/backups]
    options: { restart: always }
  redis:
    image: redis:7
    roles: [web]
traefik:
  image: traefik:v2.9
  host_port: 8080
  args: { accesslog: true, accesslog.format: json }
  labels: { traefik.enable: "true" }
  env: { clear: { TZ: UTC } }
  options: { publish: ["443:443"] }
healthcheck: { path: /up, port: 3000, max_attempts: 7, interval: 1s, cmd: "curl -fsS http://localhost/up", log_lines: 50, exposed_port: 3999 }
ssh: { user: app, proxy: root@bastion, proxy_command: "ssh -W %h:%p bastion" }
stop_wait_time: 30
readiness_delay: 7
boot: { limit: "25%", wait: 2 }
hooks_path: .mrsk/hooks
release_command: bin/rails db:migrate
`);
    expect(detectEra(doc)).toBe("mrsk");
    expect(check(doc)).toMatchObject({ issues: [], warnings: [] });
  });

  it("accepts the Kamal 1 keys that came after MRSK 0.13", () => {
    const doc = {
      ...mrsk,
      asset_path: "/rails/public/assets",
      primary_role: "web",
      require_destination: true,
      allow_empty_roles: false,
      retain_containers: 3,
      minimum_version: "1.3.0",
      sshkit: { max_concurrent_starts: 10, pool_idle_timeout: 300 },
      run_directory: "/etc/kamal",
      builder: { cache: { type: "gha", options: "mode=max" }, target: "production", ssh: "default" },
      healthcheck: { cord: false },
      traefik: { publish: false },
    };
    expect(check(doc)).toMatchObject({ issues: [], warnings: [] });
  });

  it("accepts a Kamal 2 file using every section of that era", () => {
    const doc = yml(`
service: app
image: user/app
servers:
  web:
    - 1.1.1.1
    - 1.1.1.2: canary
    - 1.1.1.3: [canary, west]
  jobs:
    hosts: [1.1.1.4]
    cmd: bin/jobs
    proxy: false
    stop_timeout: 60
    logging: { options: { max-size: 100m } }
  api:
    hosts: [1.1.1.5]
    proxy: { host: api.example.com, app_port: 4000 }
env:
  clear: { RAILS_ENV: production }
  secret: [RAILS_MASTER_KEY, DB_PASSWORD:MAIN_DB_PASSWORD]
  tags:
    canary: { CANARY: "1" }
    west: { clear: { REGION: west }, secret: [WEST_KEY] }
registry:
  server: ghcr.io
  username: user
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: [amd64, arm64]
  remote: ssh://docker@builder
  local: false
  driver: docker-container
  cache: { type: registry, image: app-build-cache, options: mode=max }
  provenance: mode=max
  sbom: true
  pack: { builder: heroku/builder:24, buildpacks: [heroku/ruby] }
proxy:
  hosts: [app.example.com, www.example.com]
  app_port: 3000
  ssl: { certificate_pem: CERT_PEM, private_key_pem: KEY_PEM }
  ssl_redirect: false
  forward_headers: true
  response_timeout: 30
  path_prefix: /app
  strip_path_prefix: false
  healthcheck: { path: /up, interval: 3, timeout: 5 }
  buffering: { requests: true, responses: true, memory: 2_000_000, max_request_body: 40_000_000, max_response_body: 0 }
  logging: { request_headers: [Cache-Control], response_headers: [X-Request-ID] }
  run: { http_port: 8080, https_port: 8443, metrics_port: 9090, debug: true, log_max_size: 10m, publish: true, bind_ips: [0.0.0.0], registry: ghcr.io, repository: basecamp/kamal-proxy, version: v0.9.2, options: { memory: 1g } }
accessories:
  db:
    service: shared-db
    image: postgres:16
    registry: { server: ghcr.io, username: user, password: [ACCESSORY_PASSWORD] }
    tags: [canary]
    network: private
    files:
      - { local: config/init.sql, remote: /docker-entrypoint-initdb.d/init.sql, mode: "0644", owner: "999:999" }
    directories: [data:/var/lib/postgresql/data]
  cache:
    image: valkey/valkey:8
    role: web
    proxy: { host: cache.example.com, app_port: 6379 }
ssh: { user: deploy, port: "2222", keys_only: true, keys: [~/.ssh/id], key_data: [KEY], config: true, forward_agent: true, log_level: debug }
sshkit: { dns_retries: 5 }
boot: { limit: 2, wait: 5, parallel_roles: true }
logging: { driver: json-file }
aliases: { console: app exec -i --reuse "bin/rails console" }
deploy_timeout: 60
drain_timeout: 30
stop_timeout: 20
secrets_path: .kamal/secrets
error_pages_path: public
hooks_output: { pre-deploy: verbose }
output: { file: { path: log/kamal }, otel: { endpoint: "http://otel:4318" } }
asset_path: /rails/public/assets
`);
    expect(detectEra(doc)).toBe("kamal");
    expect(check(doc)).toMatchObject({ issues: [], warnings: [] });
  });

  it("keeps a role written with nothing after it as null, for an overlay to fill", () => {
    const result = check({ ...kamal, servers: { web: null, jobs: { cmd: "bin/jobs" } } });
    expect(result.issues).toEqual([]);
    expect(result.config.servers).toEqual({ web: null, jobs: { cmd: "bin/jobs" } });
  });

  it("treats an empty section (`ssh:` with nothing after it) as absent, as MRSK does", () => {
    const result = check({ ...mrsk, ssh: null, env: { clear: null, secret: ["KEY"] } });
    expect(result.issues).toEqual([]);
    expect(result.config).not.toHaveProperty("ssh");
    expect(result.config.env).toEqual({ secret: ["KEY"] });
  });

  it("ignores top-level x- extension keys, which hold YAML anchors", () => {
    const doc = yml(`
x-web: &web { hosts: [1.1.1.1], options: { memory: 1g } }
service: app
image: user/app
registry: { username: user, password: [PW] }
builder: { arch: amd64 }
servers:
  web: *web
  jobs: { <<: *web, cmd: bin/jobs }
`);
    const result = check(doc, "kamal");
    expect(result.issues).toEqual([]);
    expect(result.config).not.toHaveProperty("x-web");
    expect(result.config.servers).toEqual({
      web: { hosts: ["1.1.1.1"], options: { memory: "1g" } },
      jobs: { hosts: ["1.1.1.1"], options: { memory: "1g" }, cmd: "bin/jobs" },
    });
  });

  it("allows x- keys only at the top level", () => {
    const result = check({ ...kamal, builder: { arch: "amd64", "x-note": "hi" } }, "kamal");
    expect(lines(result.issues)).toEqual(['builder.x-note: unknown key "x-note" (valid keys here: additional_contexts, arch, args, cache, context, dockerfile, driver, local, multiarch, pack, provenance, remote, … (16 in all))']);
  });

  it("accepts a local registry without credentials and without an image (it defaults to the service)", () => {
    const { image: _image, ...rest } = kamal;
    const result = check({ ...rest, registry: { server: "localhost:5555" } });
    expect(result.issues).toEqual([]);
    expect(check({ ...mrsk, registry: { server: "127.0.0.1:5000" } }).issues).toEqual([]);
  });

  it("accepts env names that are not identifiers (`discovery.type`, `--http-addr`)", () => {
    const result = check({ ...mrsk, env: { clear: { "discovery.type": "single-node", "--http-addr": "localhost:7700" } } });
    expect(result.issues).toEqual([]);
  });

  it("accepts an image whose registry host has a port", () => {
    expect(check({ ...mrsk, image: "registry:5000/app" }).issues).toEqual([]);
    expect(check({ ...mrsk, image: "dremora/my-music/my-music" }).issues).toEqual([]);
  });
});

describe("the document", () => {
  it("is read, never modified (YAML aliases share objects between keys)", () => {
    const freeze = (value: unknown): unknown => {
      if (typeof value === "object" && value !== null) Object.values(value).forEach(freeze);
      return Object.freeze(value);
    };
    const doc = freeze({ ...mrsk, "x-a": 1, servers: { web: { hosts: "h", port: 1 } }, env: { A: 1 } });
    expect(() => check(doc, "mrsk")).not.toThrow();
    expect(check(doc, "mrsk").config).toMatchObject({ servers: { web: { hosts: ["h"] } }, env: { clear: { A: "1" } } });
  });
});

describe("coercion of scalars", () => {
  it("turns numbers, booleans and floats into strings where a string is expected, as Ruby's to_s does", () => {
    const doc = yml(`
service: 1
image: user/app
servers: [1.1.1.1]
registry: { username: 2024, password: [PW] }
env:
  clear:
    WEB_CONCURRENCY: 2
    SOLID_QUEUE_IN_PUMA: true
    RATIO: 1.5
    VERSION: 1.0
labels: { traefik.enable: true }
builder: { args: { YEAR: 2024 } }
`);
    const { config, issues } = check(doc);
    expect(issues).toEqual([]);
    expect(config.service).toBe("1");
    expect(config.registry?.username).toBe("2024");
    expect(config.env?.clear).toEqual({ WEB_CONCURRENCY: "2", SOLID_QUEUE_IN_PUMA: "true", RATIO: "1.5", VERSION: "1.0" });
    expect(config.labels).toEqual({ "traefik.enable": "true" });
    expect(config.builder?.args).toEqual({ YEAR: "2024" });
  });

  it("accepts scalar wrappers (YAML floats) wherever a string is expected", () => {
    const { config, issues } = check({ ...mrsk, env: { clear: { RATIO: new RubyFloat(2) } } });
    expect(issues).toEqual([]);
    expect(config.env?.clear).toEqual({ RATIO: "2.0" });
  });

  it("accepts whole numbers and numeric strings where a number is expected", () => {
    const { config, issues } = check({
      ...kamal,
      proxy: { host: "a.example.com", app_port: "3000", buffering: { max_request_body: "10_000_000" } },
      ssh: { port: "2222" },
      readiness_delay: 4,
    });
    expect(issues).toEqual([]);
    expect(config.proxy).toEqual({ host: "a.example.com", app_port: 3000, buffering: { max_request_body: 10_000_000 } });
    expect(config.ssh).toEqual({ port: 2222 });
    expect(config.readiness_delay).toBe(4);
  });

  it("keeps docker flags: a string per value, true for a bare flag, a list for a repeated flag", () => {
    const { config } = check({ ...mrsk, servers: { web: { hosts: ["1.1.1.1"], options: { cpus: 2, "cap-add": true, publish: ["80:80", 8080] } } } });
    expect(config.servers).toEqual({ web: { hosts: ["1.1.1.1"], options: { cpus: "2", "cap-add": true, publish: ["80:80", "8080"] } } });
  });

  it("reads `hosts: 1.2.3.4` as a list of one host, as MRSK does", () => {
    const { config, issues } = check({ ...mrsk, servers: { web: { hosts: "1.2.3.4" } } });
    expect(issues).toEqual([]);
    expect(config.servers).toEqual({ web: { hosts: ["1.2.3.4"] } });
  });

  it("returns a flat env as {clear}, so consumers see one shape", () => {
    const { config } = check({ ...mrsk, env: { RAILS_ENV: "production", PORT: 3000 } });
    expect(config.env).toEqual({ clear: { RAILS_ENV: "production", PORT: "3000" } });
  });

  it("stringifies accessory ports written as numbers", () => {
    const { config } = check({ ...mrsk, accessories: { db: { image: "mysql:8", host: "1.1.1.1", port: 3306 } } });
    expect(config.accessories?.["db"]?.port).toBe("3306");
  });
});

describe("type errors", () => {
  it("names the key path and what was expected and found", () => {
    const result = check({ ...mrsk, servers: { web: { hosts: ["1.1.1.1", ["1.1.1.2"]] } } });
    expect(result.issues).toEqual([
      { file: FILE, path: "servers.web.hosts[1]", message: "should be a string (a host name or address), got a list" },
    ]);
  });

  it("rejects a host mapping with more than one key (one host per entry)", () => {
    const result = check({ ...kamal, servers: { web: [{ "1.1.1.1": "a", "1.1.1.2": "b" }] } });
    expect(lines(result.issues)).toEqual([
      'servers.web[0]: should be a string (a host name or address) or a one-key mapping "host: tag", got a mapping with 2 keys (write one host per list entry)',
    ]);
  });

  it("describes what was found in plain words", () => {
    const result = check({
      ...kamal,
      proxy: { host: "a.example.com", app_port: "eighty", ssl: "yes" },
      ssh: ["root"],
      env: { clear: { EMPTY: null, LIST: ["a"] } },
    });
    expect(lines(result.issues)).toEqual([
      "env.clear.LIST: should be a string (an environment value), got a list",
      "ssh: should be a mapping (ssh settings: user, port, proxy, keys, …), got a list",
      'proxy.app_port: should be a whole number (a port), got the string "eighty"',
      'proxy.ssl: should be true, false, or a mapping with certificate_pem and private_key_pem, got the string "yes"',
    ]);
  });

  it("reads an empty env value, build arg or label as the empty string, as Ruby's nil.to_s", () => {
    const result = check({ ...kamal, env: { clear: { EMPTY: null } }, builder: { arch: "amd64", args: { APP_VERSION: null } }, labels: { note: null } });
    expect(result.issues).toEqual([]);
    const config = result.config as { env: { clear: Record<string, string> }; builder: { args: Record<string, string> }; labels: Record<string, string> };
    expect([config.env.clear.EMPTY, config.builder.args.APP_VERSION, config.labels.note]).toEqual(["", "", ""]);
  });

  it("rejects floats where a whole number is expected", () => {
    const result = check({ ...mrsk, readiness_delay: new RubyFloat(1.5) });
    expect(lines(result.issues)).toEqual(['readiness_delay: should be a whole number (seconds), got the number 1.5']);
  });

  it("rejects a registry credential list that does not hold exactly one secret name", () => {
    const result = check({ ...mrsk, registry: { username: "user", password: ["A", "B"] } });
    expect(lines(result.issues)).toEqual([
      "registry.password: should be a string or a list with one secret name, got a list of 2 (write the value itself, or `[SECRET_NAME]` to look it up in the secrets)",
    ]);
  });

  it("rejects a malformed secret alias", () => {
    const result = check({ ...kamal, env: { secret: ["DB_PASSWORD:"] } });
    expect(lines(result.issues)).toEqual([
      'env.secret[0]: should be NAME or NAME:SECRET_NAME, got "DB_PASSWORD:" (NAME:SECRET_NAME sets the container variable NAME from the secret SECRET_NAME)',
    ]);
  });

  it("reports every problem at once", () => {
    const result = check({
      ...mrsk,
      service: "my app",
      servers: { web: { hosts: [{}] } },
      boot: { limit: "lots" },
    });
    expect(result.issues.map((i) => i.path)).toEqual(["service", "servers.web.hosts[0]", "boot.limit"]);
  });

  it("takes each issue's file from fileOf", () => {
    const fileOf = (path: string) => (path.startsWith("servers") ? "config/deploy.staging.yml" : FILE);
    const result = validateShape({ ...mrsk, servers: { web: { hosts: [[]] } }, readiness_delay: "x" }, { era: "mrsk", fileOf });
    expect(result.issues.map((i) => [i.file, i.path])).toEqual([
      ["config/deploy.staging.yml", "servers.web.hosts[0]"],
      [FILE, "readiness_delay"],
    ]);
  });

  it("rejects a document that is not a mapping", () => {
    expect(lines(check(["a"], "mrsk").issues)).toEqual([": should be a mapping of settings, got a list"]);
    expect(lines(check(null, "mrsk").issues)).toEqual([": the configuration is empty"]);
  });
});

describe("unknown keys", () => {
  it("collects all of them, each with its path and a did-you-mean", () => {
    const result = check({ ...kamal, servers: { web: { hots: ["1.1.1.1"], comd: "x" } }, enviroment: {} }, "kamal");
    expect(lines(result.issues)).toEqual([
      'servers.web.hots: unknown key "hots" (did you mean "hosts"?)',
      'servers.web.comd: unknown key "comd" (did you mean "cmd"?)',
      'enviroment: unknown key "enviroment" (did you mean "env"?)',
    ]);
  });

  it("in the mrsk era, warns and ignores them, as MRSK 0.13 did", () => {
    const doc = { ...mrsk, accessories: { db: { image: "pg", host: "h", container_name: "db" } } };
    const result = check(doc, "mrsk");
    expect(result.issues).toEqual([]);
    expect(lines(result.warnings)).toEqual([
      'accessories.db.container_name: unknown key "container_name" (ignored, as MRSK 0.13 did) (valid keys here: cmd, directories, env, files, host, hosts, image, labels, network, options, port, proxy, … (19 in all))',
    ]);
    expect(result.config.accessories).toEqual({ db: { image: "pg", host: "h" } });
  });

  it("in the kamal era, rejects them, as Kamal 2 does", () => {
    const result = check({ ...kamal, servers: { web: { hosts: ["h"], port: 80 } } }, "kamal");
    expect(result.issues).toEqual([
      {
        file: FILE,
        path: "servers.web.port",
        message: 'unknown key "port"',
        hint: "valid keys here: asset_path, cmd, env, healthcheck, hosts, labels, logging, options, proxy, stop_timeout, traefik",
      },
    ]);
  });

  it("points at the right level for keys nested too deep or too high", () => {
    const result = check(
      { ...mrsk, options: { publish: "3000:3000" }, accessories: { db: { image: "mysql", host: "h", env: { clear: {}, files: [] } } } },
      "mrsk",
    );
    expect(lines(result.warnings)).toEqual([
      'accessories.db.env.files: unknown key "files" (ignored, as MRSK 0.13 did) (did you mean "accessories.db.files"? It belongs one level up)',
      'options: unknown key "options" (ignored, as MRSK 0.13 did) ("options" is set per entry: put it under "servers.<role>.options")',
    ]);
  });

  it("finds close spellings: edits, swaps and prefixes", () => {
    expect(editDistance("hots", "hosts")).toBe(1);
    expect(editDistance("sevrice", "service")).toBe(1);
    expect(closestKey("sevrice", ["service", "servers"])).toBe("service");
    expect(closestKey("enviroment", ["env", "image"])).toBe("env");
    expect(closestKey("health", ["healthcheck", "hosts"])).toBe("healthcheck");
    expect(closestKey("port", ["hosts", "proxy"])).toBeUndefined();
  });
});

describe("shape checks", () => {
  it("requires service, image, servers and registry", () => {
    expect(lines(check({}, "mrsk").issues)).toEqual([
      "service: is required (the service name prefixes every container name, e.g. `service: my-app`)",
      "image: is required (name the image repository without a tag, e.g. `image: my-user/my-app`)",
      "servers: is required (list the hosts to deploy to, e.g. `servers: [192.168.0.1]`)",
      "registry: is required (add `registry:` with `username` and `password: [MRSK_REGISTRY_PASSWORD]` (Docker Hub, or `server:` for another registry), or `server: localhost:5555` for a local registry without credentials)",
    ]);
  });

  it("reports a required key written with nothing after it once, as missing", () => {
    const result = check({ ...mrsk, service: null, image: "", registry: { username: null, password: ["PW"] } });
    expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "service: is required",
      "image: is required",
      "registry.username: is required to log in to Docker Hub",
    ]);
  });

  it("names the Kamal secret in the registry hint of a Kamal config", () => {
    const { registry: _registry, ...rest } = kamal;
    expect(check(rest).issues[0]?.hint).toContain("password: [KAMAL_REGISTRY_PASSWORD]");
  });

  it("allows a config without servers when it has accessories (Kamal 2)", () => {
    const { servers: _servers, ...rest } = kamal;
    expect(check({ ...rest, accessories: { db: { image: "pg", host: "h" } } }).issues).toEqual([]);
  });

  it("checks the service name", () => {
    expect(lines(check({ ...mrsk, service: "my app" }).issues)).toEqual([
      'service: should only contain letters, digits, "-" and "_", got "my app" (the service name prefixes every container name, e.g. `service: my-app`)',
    ]);
  });

  it("rejects an image with a tag or a digest", () => {
    expect(lines(check({ ...mrsk, image: "user/app:1.2" }).issues)).toEqual([
      'image: should not include a tag ("1.2") (remove the tag; mrsk tags images with the version)',
    ]);
    expect(lines(check({ ...mrsk, image: "user/app@sha256:abc" }).issues)).toEqual([
      'image: should not include a digest ("sha256:abc") (remove the digest; mrsk tags images with the version)',
    ]);
  });

  it("requires exactly one of host, hosts, role, roles, tag or tags on an accessory, and an image", () => {
    const result = check({ ...mrsk, accessories: { db: { image: "pg" }, cache: { image: "redis", host: "h", roles: ["web"] }, q: { host: "h" } } });
    expect(lines(result.issues)).toEqual([
      "accessories.db: needs one of host, hosts, role, roles, tag or tags (add `host: <address>`, or `roles: [web]` to run it on the hosts of a role)",
      'accessories.cache: sets "host" and "roles": specify exactly one of host, hosts, role, roles, tag or tags (keep one of them)',
      "accessories.q.image: is required (e.g. `image: postgres:16`)",
    ]);
  });

  it("rejects traefik and proxy together", () => {
    const result = check({ ...kamal, traefik: { args: {} } });
    expect(lines(result.issues)).toEqual([
      "traefik: `traefik:` and `proxy:` are both set (pick one: `traefik:` keeps the MRSK Traefik proxy, `proxy:` selects the Caddy driver)",
    ]);
  });

  it("rejects the top-level healthcheck together with proxy, pointing to proxy.healthcheck", () => {
    const result = check({ ...kamal, healthcheck: { path: "/up" } });
    expect(result.issues).toEqual([
      expect.objectContaining({ path: "healthcheck", hint: expect.stringContaining("move path/interval/timeout to `proxy.healthcheck`") }),
    ]);
  });

  it("checks boot.limit: a count of at least 1 or a percentage", () => {
    const limit = (value: unknown) => lines(check({ ...mrsk, boot: { limit: value } }).issues);
    expect(limit("25%")).toEqual([]);
    expect(limit(3)).toEqual([]);
    expect(limit("every")).toEqual([
      'boot.limit: should be a number of hosts or a percentage like "25%", got the string "every" (e.g. `limit: 2` or `limit: "25%"`)',
    ]);
    expect(limit(0)).toEqual(['boot.limit: should be at least 1, got 0 (e.g. `limit: 2` or `limit: "25%"`)']);
    expect(limit("150%")).toEqual([
      'boot.limit: should be a percentage between 1% and 100%, got "150%" (e.g. `limit: 2` or `limit: "25%"`)',
    ]);
  });

  it("requires retain_containers to be at least 1", () => {
    expect(lines(check({ ...mrsk, retain_containers: 0 }).issues)).toEqual(["retain_containers: should be at least 1, got 0"]);
  });

  it("requires a host for automatic SSL, as Kamal does", () => {
    const result = check({ ...kamal, proxy: { ssl: true } });
    expect(lines(result.issues)).toEqual([
      "proxy.ssl: Must set a host to enable automatic SSL (add `proxy.host: app.example.com` (the certificate is issued for that name), or set `ssl: false`)",
    ]);
  });

  it("checks role and accessory proxies for SSL hosts, merging a role's proxy over the root one", () => {
    const result = check({
      ...kamal,
      servers: { web: ["h"], api: { hosts: ["h"], proxy: { ssl: true } }, admin: { hosts: ["h"], proxy: { ssl: true, host: "admin.example.com" } } },
      proxy: { app_port: 3000 },
      accessories: { search: { image: "meili", host: "h", proxy: { ssl: true } } },
    });
    expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "servers.api.proxy.ssl: Must set a host to enable automatic SSL",
      "accessories.search.proxy.ssl: Must set a host to enable automatic SSL",
    ]);
  });

  it("rejects host and hosts together, and half a custom certificate", () => {
    const result = check({ ...kamal, proxy: { host: "a", hosts: ["b"], ssl: { certificate_pem: "CERT" } } });
    expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "proxy.hosts: set either `host` or `hosts`, not both",
      "proxy.ssl.private_key_pem: is required when certificate_pem is set",
    ]);
  });

  it("checks alias names", () => {
    expect(lines(check({ ...kamal, aliases: { Console: "app exec -i bash" } }).issues)).toEqual([
      'aliases.Console: invalid alias name "Console": use lowercase letters, digits, "-" and "_" (rename it, e.g. "console")',
    ]);
  });

  it("requires registry credentials for a registry that is not local", () => {
    const result = check({ ...mrsk, registry: { server: "ghcr.io", username: "" } });
    expect(lines(result.issues)).toEqual([
      "registry.username: is required to log in to the registry ghcr.io (write the user name, or `[SECRET_NAME]` to look it up in the secrets)",
      "registry.password: is required to log in to the registry ghcr.io (write `password: [MRSK_REGISTRY_PASSWORD]` to look it up in the secrets)",
    ]);
  });

  it("checks the builder cache type and a remote for local: false", () => {
    const result = check({ ...kamal, builder: { arch: "amd64", local: false, cache: { type: "s3" } } });
    expect(lines(result.issues)).toEqual([
      'builder.cache.type: should be gha or registry, got "s3"',
      "builder.local: cannot be false without `builder.remote` (set `remote: ssh://user@builder-host`, or remove `local: false`)",
    ]);
  });

  it("checks the docker restart policy and the reserved labels", () => {
    const result = check({
      ...mrsk,
      servers: { web: { hosts: ["h"], options: { restart: false }, labels: { service: "other" } } },
    });
    expect(lines(result.issues)).toEqual([
      'servers.web.labels.service: is reserved: mrsk sets the service, role, destination labels itself (use another label name)',
      'servers.web.options.restart: should be a string, got false (write "no" (quoted) to disable restarts)',
    ]);
  });
});

describe("warnings", () => {
  it("warns about a docker option given a mapping, and leaves it out", () => {
    const result = check({ ...kamal, servers: { web: { hosts: ["h"], options: { env: { clear: { A: "1" } }, memory: "1g" } } } });
    expect(result.issues).toEqual([]);
    expect(lines(result.warnings)).toEqual([
      'servers.web.options.env: a mapping is not a docker flag value; ignored (did you mean "servers.web.env"?)',
    ]);
    expect(result.config.servers).toEqual({ web: { hosts: ["h"], options: { memory: "1g" } } });
  });

  it("warns when the image already starts with the registry server", () => {
    const result = check({ ...kamal, image: "ghcr.io/user/app", registry: { server: "ghcr.io", username: "u", password: ["P"] } });
    expect(result.warnings.map((w) => w.path)).toEqual(["image"]);
    expect(result.warnings[0]?.hint).toContain('"ghcr.io/ghcr.io/user/app"');
  });

  it("warns when a literal password looks like the name of a secret", () => {
    const result = check({ ...mrsk, registry: { username: "u", password: "KAMAL_REGISTRY_PASSWORD" } });
    expect(lines(result.warnings)).toEqual([
      'registry.password: the text "KAMAL_REGISTRY_PASSWORD" is used literally as the password (to look it up in the secrets write `password: [KAMAL_REGISTRY_PASSWORD]`)',
    ]);
  });
});

describe("era detection", () => {
  it("is mrsk for MRSK 0.13 and Kamal 1 files", () => {
    expect(detectEra(mrsk)).toBe("mrsk");
    expect(detectEra({ ...mrsk, traefik: {}, healthcheck: { path: "/" }, builder: { multiarch: false, remote: { arch: "amd64", host: "ssh://h" } } })).toBe("mrsk");
    expect(detectEra({ ...mrsk, asset_path: "/a", retain_containers: 3, primary_role: "web", builder: { local: { arch: "arm64" } } })).toBe("mrsk");
    expect(detectEra("not a config")).toBe("mrsk");
    // mrsk gives MRSK configs aliases too; they do not make a file Kamal's.
    expect(detectEra({ ...mrsk, aliases: { console: "app exec -i bin/rails console" } })).toBe("mrsk");
  });

  it.each([
    [{ proxy: { host: "a" } }, "proxy"],
    [{ deploy_timeout: 10 }, "deploy_timeout"],
    [{ drain_timeout: 10 }, "drain_timeout"],
    [{ stop_timeout: 10 }, "stop_timeout"],
    [{ secrets_path: ".kamal/secrets" }, "secrets_path"],
    [{ error_pages_path: "public" }, "error_pages_path"],
    [{ hooks_output: "quiet" }, "hooks_output"],
    [{ output: { file: { path: "log" } } }, "output"],
    [{ builder: { arch: "amd64" } }, "builder.arch"],
    [{ builder: { driver: "docker" } }, "builder.driver"],
    [{ builder: { provenance: false } }, "builder.provenance"],
    [{ builder: { sbom: true } }, "builder.sbom"],
    [{ builder: { pack: { builder: "b" } } }, "builder.pack"],
    [{ builder: { remote: "ssh://h" } }, "builder.remote"],
    [{ builder: { local: false } }, "builder.local"],
    [{ boot: { parallel_roles: true } }, "boot.parallel_roles"],
    [{ env: { tags: { a: {} } } }, "env.tags"],
    [{ servers: [{ "1.1.1.1": "tag" }] }, "servers"],
    [{ servers: { web: { hosts: [{ "1.1.1.1": ["a"] }] } } }, "servers.web.hosts"],
    [{ servers: { web: { hosts: ["h"], proxy: false } } }, "servers.web.proxy"],
    [{ servers: { jobs: { hosts: ["h"], stop_timeout: 5 } } }, "servers.jobs.stop_timeout"],
    [{ accessories: { db: { network: "n" } } }, "accessories.db.network"],
    [{ accessories: { db: { proxy: {} } } }, "accessories.db.proxy"],
    [{ accessories: { db: { service: "db" } } }, "accessories.db.service"],
    [{ accessories: { db: { registry: {} } } }, "accessories.db.registry"],
    [{ accessories: { db: { role: "web" } } }, "accessories.db.role"],
    [{ accessories: { db: { tags: ["a"] } } }, "accessories.db.tags"],
    [{ accessories: { db: { files: [{ local: "a", remote: "b" }] } } }, "accessories.db.files"],
  ])("is kamal for %j (signal %s)", (extra, signal) => {
    const doc = { ...mrsk, ...extra };
    expect(kamalSignals(doc)).toEqual([signal]);
    expect(detectEra(doc)).toBe("kamal");
  });
});

describe("lock.ttl (an mrsk key)", () => {
  it("is accepted in both eras, as seconds", () => {
    for (const doc of [{ ...mrsk, lock: { ttl: 60 } }, { ...kamal, lock: { ttl: "60" } }]) {
      expect(check(doc)).toMatchObject({ issues: [], warnings: [], config: { lock: { ttl: 60 } } });
    }
  });

  it("must be a positive whole number, and the section holds nothing else", () => {
    expect(lines(check({ ...kamal, lock: { ttl: 0 } }).issues)).toEqual(["lock.ttl: should be at least 1, got 0"]);
    expect(lines(check({ ...kamal, lock: { ttl: "soon" } }).issues)).toEqual(['lock.ttl: should be a whole number (seconds), got the string "soon"']);
    expect(check({ ...kamal, lock: { tll: 5 } }).issues.map((i) => i.path)).toEqual(["lock.tll"]);
  });
});
