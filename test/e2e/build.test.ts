import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { createProject, describeRig, versionOn, type MrskRun, type Project } from "./support/project.js";
import { onHost, rigUp, type RigState } from "./support/rig.js";

// Building through Debian's buildx plugin (installed by the rig into the deployer's client config)
// with the docker driver: every build option, BuildKit secrets, the inline cache, a remote builder
// over SSH, the multiarch refusal where moby/buildkit cannot be pulled, and one deploy on the
// classic `docker build` fallback. The app deploys to h1; h2 serves as the remote builder host.

const SERVICE = "buildx";
const IMAGE = "mrsk-e2e/buildx";
const BUILD_TOKEN = "build-token-e2e-7d1f09b3";
let rig: RigState;
let project: Project;
let registryImage: string;
/** A DOCKER_CONFIG of this test's own (SSH contexts are created in it), with the buildx plugin. */
let dockerConfig: string;
/** A DOCKER_CONFIG without cli-plugins/: docker has no buildx there. */
let classicDockerConfig: string;
/** A directory with an `ssh` that reaches the rig hosts with the rig key: docker's SSH transport runs `ssh`. */
let sshBin: string;
let last: MrskRun | undefined;

const H1 = 1;
const H2 = 2;

async function mrsk(args: string[], env: Record<string, string> = {}): Promise<MrskRun> {
  // --verbose: BuildKit's own progress lines are what some tests read.
  last = await project.mrsk([...args, "--verbose"], { DOCKER_CONFIG: dockerConfig, ...env });
  return last;
}

function deployer(args: string[], config = dockerConfig) {
  return execa("docker", args, { env: { DOCKER_HOST: rig.deployerDockerHost, DOCKER_CONFIG: config }, extendEnv: true, reject: false });
}

function reportOnFailure(): void {
  onTestFailed(async () => {
    console.error(`mrsk output:\n${last?.output ?? "(none)"}\n\nrig state:\n${await describeRig(rig)}`);
  });
}

function config(builder: string[], extra: string[] = []): string {
  return [
    `service: ${SERVICE}`,
    `image: ${IMAGE}`,
    "servers:",
    `  - ${rig.hosts[0]!.address}`,
    "registry:",
    `  server: ${rig.registry.server}`,
    `  username: ${rig.registry.username}`,
    "  password:",
    "    - MRSK_REGISTRY_PASSWORD",
    "builder:",
    ...builder.map((l) => `  ${l}`),
    "ssh:",
    "  keys:",
    `    - ${rig.sshKey}`,
    "traefik:",
    "  args:",
    "    providers.providersThrottleDuration: 0s",
    "readiness_delay: 1",
    ...extra,
  ].join("\n");
}

/** The docker driver with every build option the issue names; the base image comes from the registry. */
const DOCKER_DRIVER = (): string[] => [
  "arch: amd64",
  "driver: docker",
  "args:",
  '  VERSION: <%= ENV["VERSION"] %>',
  `  BASE_IMAGE: ${rig.images.sampleApp}`,
  "secrets:",
  "  - BUILD_TOKEN",
  "dockerfile: web/Dockerfile.buildx",
  "context: web",
  "target: app",
  "cache:",
  "  type: registry",
];

/** BuildKit's plain progress: the step ids of RUN steps, and whether each was CACHED. */
function runSteps(output: string): { cached: number; ran: number } {
  const ids = [...output.matchAll(/#(\d+) \[[^\]]*\] RUN /g)].map((m) => m[1]!);
  const cached = ids.filter((id) => new RegExp(`#${id} CACHED$`, "m").test(output)).length;
  return { cached, ran: ids.length - cached };
}

beforeAll(async () => {
  rig = await rigUp({ hosts: 2 });
  project = createProject(rig, SERVICE);
  registryImage = `${rig.registry.server}/${IMAGE}`;
  await Promise.all([H1, H2].map((i) => onHost(i, `docker ps -aq --filter label=service=${SERVICE} | xargs -r docker rm -f; docker images -q ${registryImage} | xargs -r docker rmi -f; rm -rf .mrsk/${SERVICE}`)));

  // The app: the sample app's files under web/, a Dockerfile whose `app` stage reads a build secret
  // and whose last stage must never be built (it fails): `target` picks `app`.
  const web = path.join(project.dir, "web");
  mkdirSync(web);
  cpSync(path.join(project.dir, "app"), path.join(web, "app"), { recursive: true });
  writeFileSync(
    path.join(web, "Dockerfile.buildx"),
    [
      "ARG BASE_IMAGE",
      "FROM ${BASE_IMAGE} AS app",
      "ARG VERSION=dev",
      "ENV APP_VERSION=${VERSION}",
      "COPY app/ /app/",
      // Fails without the secret; keeps only its hash.
      "RUN --mount=type=secret,id=BUILD_TOKEN sh -c 'test -s /run/secrets/BUILD_TOKEN && sha256sum /run/secrets/BUILD_TOKEN | cut -c1-64 > /build-token.sha256'",
      'RUN echo "built ${VERSION}" > /built.txt',
      "",
      "FROM app AS never",
      "RUN false",
      "",
    ].join("\n"),
  );
  writeFileSync(path.join(project.dir, ".env"), `${readFileSync(path.join(project.dir, ".env"), "utf8")}BUILD_TOKEN=${BUILD_TOKEN}\n`);

  dockerConfig = path.join(project.home, "docker");
  classicDockerConfig = path.join(project.home, "docker-classic");
  for (const dir of [dockerConfig, classicDockerConfig]) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(rig.deployerDockerConfig, "config.json"), path.join(dir, "config.json"));
  }
  mkdirSync(path.join(dockerConfig, "cli-plugins"));
  const plugin = path.join(rig.deployerDockerConfig, "cli-plugins/docker-buildx");
  expect(existsSync(plugin)).toBe(true);
  copyFileSync(plugin, path.join(dockerConfig, "cli-plugins/docker-buildx"));
  chmodSync(path.join(dockerConfig, "cli-plugins/docker-buildx"), 0o755);

  sshBin = path.join(project.home, "bin");
  mkdirSync(sshBin);
  writeFileSync(
    path.join(sshBin, "ssh"),
    `#!/bin/sh\nexec /usr/bin/ssh -F /dev/null -i ${rig.sshKey} -o IdentitiesOnly=yes -o UserKnownHostsFile=${rig.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes "$@"\n`,
  );
  chmodSync(path.join(sshBin, "ssh"), 0o755);
});

afterAll(async () => {
  if (rig === undefined) return;
  await Promise.all([H1, H2].map((i) => onHost(i, `docker ps -aq --filter label=service=${SERVICE} | xargs -r docker rm -f; docker images -q ${registryImage} | xargs -r docker rmi -f; rm -rf .mrsk/${SERVICE}`)));
  await deployer(["image", "rm", "-f", ...["b1", "latest", "c1"].map((t) => `${registryImage}:${t}`)]);
  project?.remove();
});

describe("buildx with the docker driver", () => {
  it("deploy builds with Docker's own BuildKit: args, dockerfile, context, target, the service label, and no builder container", async () => {
    reportOnFailure();
    writeFileSync(path.join(project.dir, "config/deploy.yml"), config(DOCKER_DRIVER()));
    const run = await mrsk(["deploy"], { VERSION: "b1" });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain('building with "default" instance using docker driver');
    expect(run.output).not.toMatch(/buildx create|moby\/buildkit/);
    expect(await versionOn(H1, SERVICE)).toBe("b1");
    expect((await onHost(H1, `docker inspect -f '{{ .Config.Labels.service }}' ${registryImage}:b1`)).stdout.trim()).toBe(SERVICE);
    expect((await onHost(H1, `docker run --rm --entrypoint cat ${registryImage}:b1 /built.txt`)).stdout.trim()).toBe("built b1");
    expect((await deployer(["buildx", "ls"])).stdout).not.toContain(`mrsk-${SERVICE}`);
    expect((await deployer(["ps", "-a", "--format", "{{.Image}}"])).stdout).not.toContain("buildkit");
  });

  it("build secrets reach the RUN step that mounts them, and nothing of the pushed image", async () => {
    reportOnFailure();
    const hash = createHash("sha256").update(BUILD_TOKEN).digest("hex");
    const image = `${registryImage}:b1`;
    expect((await onHost(H1, `docker run --rm --entrypoint cat ${image} /build-token.sha256`)).stdout.trim()).toBe(hash);
    expect((await onHost(H1, `docker history --no-trunc ${image}`)).stdout).not.toContain(BUILD_TOKEN);
    expect((await onHost(H1, `docker image inspect ${image}`)).stdout).not.toContain(BUILD_TOKEN);
    // `docker save` writes every layer uncompressed: the hash is found in one, the secret in none.
    expect((await onHost(H1, `docker save ${image} | grep -a -c ${hash}`)).stdout.trim()).not.toBe("0");
    expect((await onHost(H1, `docker save ${image} | grep -a -c ${BUILD_TOKEN}`)).stdout.trim()).toBe("0");
    expect(last!.output).not.toContain(BUILD_TOKEN);
    expect(last!.output).toContain("--secret id=BUILD_TOKEN,env=BUILD_TOKEN");
  });

  it("the inline cache on the pushed image spares every RUN step on an emptied builder; --no-cache reruns them", async () => {
    reportOnFailure();
    // An emptied BuildKit cache: what is CACHED now comes from the cache imported from the
    // registry. (Removing the images too makes Docker 20.10's exporter fail now and then with
    // "failed to get layer … layer does not exist" — a moby bug, not a cache miss.)
    const pruned = await deployer(["builder", "prune", "-af"]);
    expect(pruned.exitCode).toBe(0);
    const cached = await mrsk(["build", "push"], { VERSION: "b1" });
    expect(cached.exitCode).toBe(0);
    expect(cached.output).toContain(`importing cache manifest from ${registryImage}:latest`);
    expect(runSteps(cached.output)).toEqual({ cached: 2, ran: 0 });

    const fresh = await mrsk(["build", "push", "--no-cache"], { VERSION: "b1" });
    expect(fresh.exitCode).toBe(0);
    expect(fresh.output).toContain("--no-cache");
    expect(runSteps(fresh.output)).toEqual({ cached: 0, ran: 2 });
  });

  it("a cache that only another driver exports fails before building, saying so", async () => {
    reportOnFailure();
    writeFileSync(path.join(project.dir, "config/deploy.yml"), config([...DOCKER_DRIVER(), "  options: mode=max"]));
    const run = await mrsk(["build", "push"], { VERSION: "b2" });
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain("builder.cache: the docker driver exports a build cache only inline, into the pushed image; cache options needs the docker-container driver");
    expect(run.output).not.toContain("buildx build");
  });

  it("build details, create and remove say what the docker driver has", async () => {
    reportOnFailure();
    writeFileSync(path.join(project.dir, "config/deploy.yml"), config(DOCKER_DRIVER()));
    const details = await mrsk(["build", "details"]);
    expect(details.exitCode).toBe(0);
    expect(details.output).toMatch(/Builder: default\nDriver: docker\nEndpoint: this machine's Docker\nPlatforms: linux\/amd64/);
    expect(details.output).toMatch(/Driver:\s+docker/);
    const create = await mrsk(["build", "create"]);
    expect(create.output).toContain("there is no builder to create");
  });
});

describe("a remote builder with the docker driver, over SSH", () => {
  const remote = (): string[] => [
    "arch: amd64",
    "driver: docker",
    `remote: ssh://root@${rig.hosts[1]!.address}`,
    "local: false",
    "args:",
    '  VERSION: <%= ENV["VERSION"] %>',
    `  BASE_IMAGE: ${rig.images.sampleApp}`,
    "secrets:",
    "  - BUILD_TOKEN",
    "dockerfile: web/Dockerfile.buildx",
    "context: web",
    "target: app",
  ];
  const withSsh = (): Record<string, string> => ({ PATH: `${sshBin}:${process.env.PATH}` });

  it("the builder host's BuildKit, its own cache emptied, reuses the inline cache of the image the deployer pushed", async () => {
    reportOnFailure();
    writeFileSync(path.join(project.dir, "config/deploy.yml"), config([...remote(), "cache:", "  type: registry"]));
    expect((await onHost(H2, "docker builder prune -af")).code).toBe(0);
    const run = await mrsk(["build", "push"], { VERSION: "b1", ...withSsh() });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain(`importing cache manifest from ${registryImage}:latest`);
    expect(runSteps(run.output)).toEqual({ cached: 2, ran: 0 });
  });

  it("deploy builds on the builder host's Docker, which pushes; the deployer's Docker never sees the image", async () => {
    reportOnFailure();
    writeFileSync(path.join(project.dir, "config/deploy.yml"), config(remote()));
    const run = await mrsk(["deploy"], { VERSION: "r1", ...withSsh() });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain(`on ssh://root@${rig.hosts[1]!.address}`);
    expect(await versionOn(H1, SERVICE)).toBe("r1");
    expect((await onHost(H2, `docker image inspect -f '{{ .Config.Labels.service }}' ${registryImage}:r1`)).stdout.trim()).toBe(SERVICE);
    expect((await deployer(["image", "inspect", `${registryImage}:r1`])).exitCode).not.toBe(0);
  });

  it("build details shows the SSH endpoint; remove drops the context", async () => {
    reportOnFailure();
    const details = await mrsk(["build", "details"], withSsh());
    expect(details.output).toMatch(new RegExp(`Driver: docker\\nEndpoint: ssh://root@${rig.hosts[1]!.address.replaceAll(".", "\\.")} \\(Docker context mrsk-buildx-remote-`));
    expect((await mrsk(["build", "remove"], withSsh())).exitCode).toBe(0);
    expect((await execa("docker", ["context", "ls", "--format", "{{.Name}}"], { env: { DOCKER_CONFIG: dockerConfig }, reject: false })).stdout).not.toContain("mrsk-buildx-remote");
  });

  it("a builder host docker cannot reach is named, with what to check", async () => {
    reportOnFailure();
    // Without the ssh wrapper, ssh has neither the rig's key nor its known_hosts.
    const run = await mrsk(["build", "push"], { VERSION: "r2" });
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain(`Cannot reach Docker on the builder host ssh://root@${rig.hosts[1]!.address}`);
    expect(run.output).toContain("Docker connects with the system ssh client");
    await mrsk(["build", "remove"]);
  });
});

describe("where buildx cannot build", () => {
  it("MRSK's default multiarch build fails before building: moby/buildkit cannot be pulled here; the two ways out are named", async () => {
    reportOnFailure();
    writeFileSync(path.join(project.dir, "config/deploy.yml"), config(["args:", '  VERSION: <%= ENV["VERSION"] %>', `  BASE_IMAGE: ${rig.images.sampleApp}`]));
    const run = await mrsk(["deploy"], { VERSION: "m1" });
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain("Building for linux/amd64 and linux/arm64 needs the docker-container driver, which runs BuildKit in a container from the moby/buildkit image");
    expect(run.output).toContain("`builder: {multiarch: false}`");
    expect(run.output).toContain("remote builder of the target architecture");
    expect(run.output).not.toContain("buildx build");
    // Nothing left behind: no builder, no image in the registry, nothing on the host.
    expect((await deployer(["buildx", "ls"])).stdout).not.toContain(`mrsk-${SERVICE}-multiarch`);
    expect((await onHost(H1, `docker pull ${registryImage}:m1`)).code).not.toBe(0);
    expect(await versionOn(H1, SERVICE)).toBe("r1");
  });
});

describe("the classic fallback", () => {
  it("without the buildx plugin, deploy warns and builds with docker build", async () => {
    reportOnFailure();
    writeFileSync(path.join(project.dir, "config/deploy.yml"), config(["args:", '  VERSION: <%= ENV["VERSION"] %>']));
    const run = await mrsk(["deploy"], { VERSION: "c1", DOCKER_CONFIG: classicDockerConfig });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain("docker buildx is not available: building for this machine's architecture with docker build");
    expect(run.output).not.toContain("buildx build");
    expect(await versionOn(H1, SERVICE)).toBe("c1");
  });
});

it("the rig's buildx plugin is the one of Debian's docker-buildx package", async () => {
  expect(readFileSync(path.join(path.dirname(rig.buildxPlugin), "package"), "utf8")).toMatch(/^docker-buildx_0\.13\.1\+ds1-\d+_amd64\.deb$/m);
  expect((await deployer(["buildx", "version"], rig.deployerDockerConfig)).stdout).toMatch(/^github.com\/docker\/buildx 0\.13\.1\+ds1 /);
});
