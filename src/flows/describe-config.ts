import type { Config } from "../config/model.js";
import { SecretField } from "../output/redact.js";

// What `mrsk config` shows: the resolved configuration with every derived name, and secrets by
// name only; fields that hold a secret are SecretFields, masked whatever their value.

export function describeConfig(config: Config): Record<string, unknown> {
  const version = config.version;
  return {
    service: config.service,
    ...(config.destination === undefined ? {} : { destination: config.destination }),
    version,
    era: config.era,
    proxy_driver: config.proxyDriver,
    repository: config.repository,
    absolute_image: config.imageRef(version),
    latest_image: config.latestImage,
    primary_role: config.primaryRole.name,
    primary_host: config.primaryHost,
    hosts: config.allHosts,
    roles: Object.fromEntries(
      config.roles.map((role) => [
        role.name,
        {
          hosts: role.hosts,
          container: role.containerName(version),
          ...(role.cmd === undefined ? {} : { cmd: role.cmd }),
          proxied: role.proxied,
          env: {
            clear: role.hosts.length > 0 ? role.env(role.hosts[0]!).clear : {},
            secret: (role.hosts.length > 0 ? role.env(role.hosts[0]!) : config.env).secrets.map((s) =>
              s.name === s.secret ? s.name : `${s.name}:${s.secret}`,
            ),
          },
          labels: Object.fromEntries(role.labelPairs),
          ...(role.healthcheck === undefined
            ? {}
            : {
                healthcheck: {
                  path: role.healthcheck.path,
                  port: role.healthcheck.port,
                  max_attempts: role.healthcheck.maxAttempts,
                  interval: role.healthcheck.interval,
                  ...(role.healthcheck.cmd === undefined ? {} : { cmd: role.healthcheck.cmd }),
                },
              }),
        },
      ]),
    ),
    accessories: Object.fromEntries(
      config.accessories.map((a) => [
        a.name,
        { service: a.service, image: a.image, hosts: a.hosts, ...(a.port === undefined ? {} : { port: a.port }) },
      ]),
    ),
    registry: {
      server: config.registry.server ?? "docker.io",
      username: isSecret(config, "registry.username") ? new SecretField() : config.registry.username,
      password: config.registry.password === undefined ? undefined : new SecretField(),
      local: config.registry.local,
    },
    ssh: {
      ...(config.ssh.user === undefined ? {} : { user: config.ssh.user }),
      ...(config.ssh.port === undefined ? {} : { port: config.ssh.port }),
      ...(config.ssh.proxy === undefined ? {} : { proxy: config.ssh.proxy }),
      ...(config.ssh.keys.length === 0 ? {} : { keys: config.ssh.keys }),
    },
    builder: config.builder,
    ...(config.proxyDriver === "traefik" ? { traefik: { image: config.traefik.image, host_port: config.traefik.hostPort } } : { proxy: config.proxy }),
    boot: config.boot,
    retain_containers: config.retainContainers,
    remote: { app_directory: config.appDirectory, lock: config.lockDirectory, audit_log: config.auditLog },
    ...(config.releaseCommand === undefined ? {} : { release_command: config.releaseCommand }),
    files: config.files,
  };
}

function isSecret(config: Config, path: string): boolean {
  return config.secretReferences.some((reference) => reference.path === path);
}
