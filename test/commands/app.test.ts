import { describe, expect, it } from "vitest";
import {
  currentContainer,
  diagnoseContainer,
  healthStatus,
  listServiceContainers,
  parseContainerRows,
  parseHealthStatus,
  pullImage,
  runApp,
  runOnce,
  stopContainer,
  tagLatest,
} from "../../src/commands/app.js";
import { toShell } from "../../src/commands/shell.js";
import { traefikAppArgs } from "../../src/commands/traefik.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });
const web = config.primaryRole;

describe("app commands", () => {
  it("runs a web container with MRSK's env, health check, logging, labels and Traefik labels", () => {
    expect(toShell(runApp(config, web, { version: "999", host: "1.1.1.1", hostnameSuffix: "abcdef123456", proxyArgs: traefikAppArgs(web) }))).toBe(
      [
        "docker run --detach --restart unless-stopped --name app-web-999 --hostname 1.1.1.1-abcdef123456",
        "--env MRSK_CONTAINER_NAME=app-web-999 --env MRSK_VERSION=999 --env MRSK_HOST=1.1.1.1 --env RAILS_ENV=production",
        "--env-file .mrsk/app/env/roles/web.env",
        "--health-cmd 'curl -fsS http://localhost:3000/up || exit 1' --health-interval 1s",
        "--log-opt max-size=10m",
        "--label service=app --label role=web --label destination=",
        "--label traefik.http.services.app-web.loadbalancer.server.scheme=http",
        "--label 'traefik.http.routers.app-web.rule=PathPrefix(`/`)'",
        "--label traefik.http.middlewares.app-web-retry.retry.attempts=5",
        "--label traefik.http.middlewares.app-web-retry.retry.initialinterval=500ms",
        "--label traefik.http.routers.app-web.middlewares=app-web-retry@docker",
        "dhh/app:999",
      ].join(" "),
    );
  });

  it("puts the secret values only in the env file, never on the command line", () => {
    const line = toShell(runApp(config, web, { version: "999", host: "1.1.1.1", hostnameSuffix: "x" }));
    expect(line).not.toContain("master-key-value");
    expect(line).toContain("--env-file .mrsk/app/env/roles/web.env");
  });

  it("passes role cmd, options, volumes, logging and a destination through", () => {
    const c = configFrom(
      `
service: app
image: dhh/app
registry: { username: u, password: p }
volumes: ["/data:/data", "\${PWD}/storage:/rails/storage"]
logging: { driver: awslogs, options: { awslogs-region: eu-west-1 } }
servers:
  web: [1.1.1.1]
  jobs:
    hosts: [1.1.1.2]
    cmd: bin/jobs --queue "default"
    options: { cap-add: true, memory: 1g, add-host: [a:1.2.3.4, b:5.6.7.8] }
`,
      { destination: undefined },
    );
    const jobs = c.role("jobs")!;
    expect(toShell(runApp(c, jobs, { version: "7", host: "1.1.1.2", hostnameSuffix: "s" }))).toBe(
      [
        "docker run --detach --restart unless-stopped --name app-jobs-7 --hostname 1.1.1.2-s",
        "--env MRSK_CONTAINER_NAME=app-jobs-7 --env MRSK_VERSION=7 --env MRSK_HOST=1.1.1.2",
        "--log-driver awslogs --log-opt awslogs-region=eu-west-1",
        '--volume /data:/data --volume "${PWD}/storage:/rails/storage"',
        "--label service=app --label role=jobs --label destination=",
        "--cap-add --memory 1g --add-host a:1.2.3.4 --add-host b:5.6.7.8",
        'dhh/app:7 bin/jobs --queue "default"',
      ].join(" "),
    );
  });

  it("queries and controls containers by the role's labels and names", () => {
    expect(toShell(currentContainer(config, web))).toBe(
      "docker ps --latest --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --format '{{.Names}}'",
    );
    expect(toShell(listServiceContainers(config))).toBe(
      `docker ps --all --filter label=service=app --filter label=destination= --format '{{.Names}}\t{{.State}}\t{{.Label "role"}}\t{{.Image}}\t{{.CreatedAt}}'`,
    );
    expect(toShell(stopContainer("app-web-998", undefined))).toBe("docker stop app-web-998");
    expect(toShell(stopContainer("app-web-998", 30))).toBe("docker stop -t 30 app-web-998");
    expect(toShell(healthStatus(["app-web-999"]))).toBe(
      "docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}} {{.RestartCount}}' app-web-999",
    );
    expect(toShell(diagnoseContainer("app-web-999", 30))).toBe("docker inspect --format '{{json .State}} {{.RestartCount}}' app-web-999 ; docker logs --tail 30 app-web-999 2>&1");
    expect(toShell(pullImage(config, "999"))).toBe("docker pull dhh/app:999");
    expect(toShell(tagLatest(config, "999"))).toBe("docker tag dhh/app:999 dhh/app:latest");
  });

  it("runs one-off commands in a fresh container with the role's env", () => {
    expect(toShell(runOnce(config, web, "1.1.1.1", "999", "bin/rails db:migrate"))).toBe(
      "docker run --rm --env MRSK_CONTAINER_NAME=app-web-999 --env MRSK_VERSION=999 --env MRSK_HOST=1.1.1.1 --env RAILS_ENV=production --env-file .mrsk/app/env/roles/web.env dhh/app:999 bin/rails db:migrate",
    );
  });

  it("parses container lists and health states", () => {
    expect(parseContainerRows("app-web-999\trunning\tweb\tdhh/app:999\t2026-01-01 10:00:00 +0000 UTC\n")).toEqual([
      { name: "app-web-999", state: "running", role: "web", image: "dhh/app:999", createdAt: "2026-01-01 10:00:00 +0000 UTC" },
    ]);
    expect(parseHealthStatus("/app-web-999 healthy 0\n/app-web-998 running 2\n")).toEqual(
      new Map([
        ["app-web-999", { status: "healthy", restarts: 0 }],
        ["app-web-998", { status: "running", restarts: 2 }],
      ]),
    );
  });

  it("gives Kamal configs the KAMAL_ variables too", () => {
    const k = configFrom(`
service: app
image: dhh/app
registry: { server: localhost:5000 }
builder: { arch: amd64 }
servers: [1.1.1.1]
proxy: { host: example.com }
`);
    expect(toShell(runOnce(k, k.primaryRole, "1.1.1.1", "1", "true"))).toContain(
      "--env MRSK_CONTAINER_NAME=app-web-1 --env MRSK_VERSION=1 --env MRSK_HOST=1.1.1.1 --env KAMAL_CONTAINER_NAME=app-web-1 --env KAMAL_VERSION=1 --env KAMAL_HOST=1.1.1.1",
    );
  });
});
