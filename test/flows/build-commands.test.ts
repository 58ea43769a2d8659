import { describe, expect, it } from "vitest";
import { RemoteCommandError } from "../../src/errors.js";
import { createBuilder, deliverImage, pullImage, pushImage, removeBuilder, showBuilder } from "../../src/flows/build-commands.js";
import type { DryRunTransport } from "../../src/transport/dry-run.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { TestFlowContext } from "../support/flow-context.js";

const config = configFrom(`${MRSK_MINIMAL}builder:\n  multiarch: false\n`, { env: MRSK_SECRETS });
const normalize = (l: string) => l.replace(/echo [A-Za-z0-9+/=]{40,} >/, "echo DETAILS >").replace(/\[\d{4}-[^\]]+\] \[[^\]]+\]/, "[T] [U]").replace(/owner\.[0-9a-f]{16}/g, "owner.TOKEN");

describe("build commands", () => {
  it("push: builds and pushes on this machine, under the deploy lock; `multiarch: false` is the docker driver", async () => {
    const ctx = new TestFlowContext(config);
    await pushImage(ctx);
    expect(ctx.commands("localhost")).toEqual([
      "docker login --username user --password-stdin",
      "docker --version",
      "docker buildx version",
      "docker context show",
      "docker buildx build --push --builder default -t dhh/app:999 -t dhh/app:latest --label service=app --file Dockerfile .",
    ]);
    expect(ctx.commands("1.1.1.1").map(normalize)).toEqual(["mkdir -p .mrsk && mkdir .mrsk/lock-app && echo DETAILS > .mrsk/lock-app/details && touch .mrsk/lock-app/heartbeat .mrsk/lock-app/owner.TOKEN .mrsk/lock-app/ttl.300", "test -e .mrsk/lock-app/owner.TOKEN && rm -rf .mrsk/lock-app"]);
  });

  it("pull: logs in and pulls on every app host (an image built elsewhere: its label is not checked)", async () => {
    const ctx = new TestFlowContext(config);
    await pullImage(ctx);
    expect(ctx.commands("1.1.1.2").map(normalize)).toEqual([
      "docker login --username user --password-stdin",
      "mkdir -p .mrsk/app && echo '[T] [U] Pulled image with version 999' >> .mrsk/app/audit.log && docker pull dhh/app:999",
    ]);
    expect(ctx.commands("localhost")).toEqual([]);
  });

  it("deliver: pushes, then pulls everywhere", async () => {
    const ctx = new TestFlowContext(config);
    await deliverImage(ctx, { noCache: true });
    expect(ctx.commands("localhost").at(-1)).toMatch(/^docker buildx build .* --no-cache \.$/);
    expect(ctx.commands("1.1.1.2").at(-1)).toMatch(/&& docker pull dhh\/app:999 && docker inspect /);
  });
});

const SECRETS = { ...MRSK_SECRETS, BUILD_TOKEN: "build-token-value" };
const kamal = (builder: string) => configFrom(`${MRSK_MINIMAL}builder:\n${builder}`, { env: SECRETS });
const REMOTE = "  arch: amd64\n  driver: docker\n  remote: ssh://root@10.0.0.5\n  local: false\n";
const CONTEXT = "mrsk-app-remote-ssh---root-10-0-0-5-context";
const localLines = (ctx: TestFlowContext) => ctx.commands("localhost").filter((l) => !l.startsWith("docker login"));
const answer = (ctx: TestFlowContext, line: RegExp, stdout: string, exitCode = 0) => (ctx.transportImpl as DryRunTransport).answer("localhost", (l) => line.test(l), stdout, exitCode);

describe("without the buildx plugin", () => {
  it("`multiarch: false` builds with docker build and pushes both tags, without a warning", async () => {
    const ctx = new TestFlowContext(config);
    answer(ctx, /^docker buildx version$/, "", 1);
    await pushImage(ctx, { noCache: true });
    expect(localLines(ctx).at(-1)).toBe(
      "docker build -t dhh/app:999 -t dhh/app:latest --label service=app --file Dockerfile --no-cache . && docker push dhh/app:999 && docker push dhh/app:latest",
    );
    expect(ctx.events.some((e) => e.type === "warn")).toBe(false);
  });

  it("a multi-platform config warns, then builds for this machine with docker build", async () => {
    const ctx = new TestFlowContext(configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS }));
    answer(ctx, /^docker buildx version$/, "", 1);
    await pushImage(ctx);
    expect(localLines(ctx).at(-1)).toMatch(/^docker build -t dhh\/app:999 /);
    expect(ctx.events).toContainEqual(expect.objectContaining({ type: "warn", message: "docker buildx is not available: building for this machine's architecture with docker build" }));
  });
  it("refuses builder.secrets before any docker build runs", async () => {
    const ctx = new TestFlowContext(kamal("  arch: amd64\n  driver: docker\n  secrets: [BUILD_TOKEN]\n"));
    answer(ctx, /^docker buildx version$/, "", 1);
    await expect(pushImage(ctx)).rejects.toThrow(
      "builder.secrets (BUILD_TOKEN) needs the docker buildx plugin on this machine: `docker buildx version` fails, and the classic `docker build` cannot pass build secrets from the environment",
    );
    expect(localLines(ctx).filter((l) => /^docker (build|push) /.test(l))).toEqual([]);
  });
});

describe("building with buildx", () => {
  it("the docker driver builds with the current Docker context's daemon: no builder is created", async () => {
    const ctx = new TestFlowContext(kamal("  arch: amd64\n  driver: docker\n  secrets: [BUILD_TOKEN]\n"));
    answer(ctx, /^docker context show$/, "colima\n");
    await pushImage(ctx, { noCache: true });
    expect(localLines(ctx)).toEqual([
      "docker --version",
      "docker buildx version",
      "docker context show",
      "docker buildx build --push --platform linux/amd64 --builder colima -t dhh/app:999 -t dhh/app:latest --label service=app --secret id=BUILD_TOKEN,env=BUILD_TOKEN --file Dockerfile --no-cache .",
    ]);
    expect(JSON.stringify(ctx.events)).not.toContain("build-token-value");
  });

  it("a missing docker-container builder is created, then started, before the build", async () => {
    const ctx = new TestFlowContext(kamal("  arch: amd64\n"));
    answer(ctx, /inspect --bootstrap/, "ERROR: no builder \"mrsk-app-multiarch\" found", 1);
    (ctx.transportImpl as DryRunTransport).answer("localhost", (l) => l.startsWith("docker buildx create"), "");
    let created = false;
    (ctx.transportImpl as DryRunTransport).answer(
      "localhost",
      (l) => {
        if (l.startsWith("docker buildx create")) created = true;
        return created && /inspect --bootstrap/.test(l);
      },
      "Name: mrsk-app-multiarch",
    );
    await pushImage(ctx);
    expect(localLines(ctx)).toEqual([
      "docker --version",
      "docker buildx version",
      "docker buildx inspect --bootstrap mrsk-app-multiarch",
      "docker buildx create --name mrsk-app-multiarch --driver docker-container",
      "docker buildx inspect --bootstrap mrsk-app-multiarch",
      "docker buildx build --push --platform linux/amd64 --builder mrsk-app-multiarch -t dhh/app:999 -t dhh/app:latest --label service=app --file Dockerfile .",
    ]);
  });

  it("multiarch without a pullable moby/buildkit fails before building, says why and offers the two ways out", async () => {
    const ctx = new TestFlowContext(configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS }));
    answer(
      ctx,
      /inspect --bootstrap/,
      '#1 [internal] booting buildkit\n#1 pulling image moby/buildkit:buildx-stable-1\n#1 ERROR: Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
      1,
    );
    await expect(pushImage(ctx)).rejects.toMatchObject({
      message:
        "Building for linux/amd64 and linux/arm64 needs the docker-container driver, which runs BuildKit in a container from the moby/buildkit image, and the builder mrsk-app-multiarch could not start it: " +
        'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
      hint: expect.stringMatching(/`builder: \{multiarch: false\}`.*`builder: \{arch: amd64, driver: docker\}`.*remote builder of the target architecture/),
    });
    expect(localLines(ctx).some((l) => l.startsWith("docker buildx build"))).toBe(false);
  });

  it("a bootstrap that cannot reach Docker Hub is the moby/buildkit pull too, even without the image's name", async () => {
    const ctx = new TestFlowContext(configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS }));
    answer(ctx, /inspect --bootstrap/, 'ERROR: Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host', 1);
    await expect(pushImage(ctx)).rejects.toThrow(/^Building for linux\/amd64 and linux\/arm64 needs the docker-container driver, which runs BuildKit in a container from the moby\/buildkit image/);
  });

  it("a docker-container builder on an SSH host that does not answer reports Docker's error and the host, not moby/buildkit", async () => {
    const ctx = new TestFlowContext(kamal("  arch: arm64\n  driver: docker-container\n  remote: ssh://root@10.0.0.5\n  local: false\n"));
    answer(ctx, /inspect --bootstrap/, "ERROR: error during connect: ssh: connect to host 10.0.0.5 port 22: Connection refused", 1);
    const failure = pushImage(ctx);
    await expect(failure).rejects.toMatchObject({
      message: expect.stringMatching(/^The docker-container builder \S+ \(on ssh:\/\/root@10\.0\.0\.5\) could not start: error during connect: ssh: connect to host 10\.0\.0\.5 port 22: Connection refused$/),
      hint: "`docker -H ssh://root@10.0.0.5 version` must work from this machine without a prompt",
    });
    await expect(failure).rejects.not.toThrow(/moby\/buildkit/);
  });

  it("a cloud builder that does not start reports Docker's error", async () => {
    const ctx = new TestFlowContext(kamal("  arch: amd64\n  driver: cloud acme/main\n"));
    answer(ctx, /inspect --bootstrap/, "ERROR: failed to connect: unauthorized: not logged in", 1);
    await expect(pushImage(ctx)).rejects.toMatchObject({
      message: "The cloud acme/main builder cloud-acme-main could not start: failed to connect: unauthorized: not logged in",
      hint: "cloud builders need `docker login` to Docker Hub with access to that builder",
    });
  });

  it("a builder created in this run that cannot start is removed again", async () => {
    const ctx = new TestFlowContext(configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS }));
    let created = false;
    (ctx.transportImpl as DryRunTransport).answer(
      "localhost",
      (l) => {
        if (l.startsWith("docker buildx create")) created = true;
        return /inspect --bootstrap/.test(l);
      },
      "",
      1,
    );
    answer(ctx, /inspect --bootstrap/, "", 1);
    (ctx.transportImpl as DryRunTransport).answer("localhost", (l) => !created && /inspect --bootstrap/.test(l), 'ERROR: no builder "mrsk-app-multiarch" found', 1);
    await expect(pushImage(ctx)).rejects.toThrow("The docker-container builder mrsk-app-multiarch could not start: docker printed nothing");
    expect(localLines(ctx).slice(2)).toEqual([
      "docker buildx inspect --bootstrap mrsk-app-multiarch",
      "docker buildx create --name mrsk-app-multiarch --driver docker-container",
      "docker buildx inspect --bootstrap mrsk-app-multiarch",
      "docker buildx rm mrsk-app-multiarch",
    ]);
  });

  it("a remote docker-driver builder gets its SSH context, fixed when it points elsewhere", async () => {
    const ctx = new TestFlowContext(kamal(REMOTE));
    answer(ctx, /^docker context inspect/, "ssh://root@10.0.0.9\n");
    await pushImage(ctx);
    expect(localLines(ctx)).toEqual([
      "docker --version",
      "docker buildx version",
      `docker context inspect ${CONTEXT} --format '{{.Endpoints.docker.Host}}'`,
      `docker context rm ${CONTEXT}`,
      `docker context create ${CONTEXT} --description 'mrsk app builder on ssh://root@10.0.0.5' --docker host=ssh://root@10.0.0.5`,
      `docker --context ${CONTEXT} buildx build --push --platform linux/amd64 --builder ${CONTEXT} -t dhh/app:999 -t dhh/app:latest --label service=app --file Dockerfile .`,
    ]);
  });

  it("a remote docker-driver builder whose context is right is used as it is", async () => {
    const ctx = new TestFlowContext(kamal(REMOTE));
    answer(ctx, /^docker context inspect/, "ssh://root@10.0.0.5\n");
    await pushImage(ctx);
    expect(localLines(ctx).slice(2)).toEqual([`docker context inspect ${CONTEXT} --format '{{.Endpoints.docker.Host}}'`, expect.stringMatching(/^docker --context \S+ buildx build /)]);
  });

  it("a build that fails because the builder host's Docker does not answer names the host and what to check", async () => {
    const ctx = new TestFlowContext(kamal(REMOTE));
    answer(ctx, /^docker context inspect/, "ssh://root@10.0.0.5\n");
    answer(ctx, /buildx build/, "", 1);
    answer(ctx, /version --format/, "", 255);
    await expect(pushImage(ctx)).rejects.toMatchObject({
      message: expect.stringMatching(/^Cannot reach Docker on the builder host ssh:\/\/root@10.0.0.5/),
      hint: expect.stringMatching(/`ssh root@10.0.0.5 docker version` works from this machine without a prompt: Docker connects with the system ssh client/),
    });
  });

  it("a build that fails on a reachable builder host reports the build's own failure", async () => {
    const ctx = new TestFlowContext(kamal(REMOTE));
    answer(ctx, /^docker context inspect/, "ssh://root@10.0.0.5\n");
    answer(ctx, /buildx build/, "", 1);
    await expect(pushImage(ctx)).rejects.toThrow(RemoteCommandError);
  });

  it("a remote builder without the buildx plugin is refused", async () => {
    const ctx = new TestFlowContext(kamal(REMOTE));
    answer(ctx, /^docker buildx version$/, "", 1);
    await expect(pushImage(ctx)).rejects.toThrow("builder.remote (ssh://root@10.0.0.5) needs the docker buildx plugin on this machine, and `docker buildx version` fails");
  });
});

describe("build create, remove and details", () => {
  it("manage the docker-container builder by its MRSK name", async () => {
    const ctx = new TestFlowContext(configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS }));
    await removeBuilder(ctx);
    expect(ctx.commands("localhost")).toEqual(["docker buildx rm mrsk-app-multiarch"]);
    const create = new TestFlowContext(configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS }));
    let created = false;
    (create.transportImpl as DryRunTransport).answer(
      "localhost",
      (l) => {
        if (l.startsWith("docker buildx create")) created = true;
        return !created && /inspect --bootstrap/.test(l);
      },
      'ERROR: no builder "mrsk-app-multiarch" found',
      1,
    );
    await createBuilder(create);
    expect(create.commands("localhost")).toEqual([
      "docker buildx inspect --bootstrap mrsk-app-multiarch",
      "docker buildx create --name mrsk-app-multiarch --driver docker-container",
      "docker buildx inspect --bootstrap mrsk-app-multiarch",
    ]);
    expect(create.events.some((e) => e.type === "result" && e.text === "Builder mrsk-app-multiarch (docker-container driver) is ready")).toBe(true);
  });

  it("have nothing to create or remove for the local docker driver", async () => {
    const ctx = new TestFlowContext(kamal("  arch: amd64\n  driver: docker\n"));
    await createBuilder(ctx);
    await removeBuilder(ctx);
    expect(ctx.commands("localhost")).toEqual(["docker context show", "docker context show"]);
    expect(ctx.events.filter((e) => e.type === "result").map((e) => (e as { text: string }).text)).toEqual([
      "The docker driver builds with the Docker of context default: there is no builder to create",
      "The docker driver builds with the Docker of context default: there is no builder to remove",
    ]);
  });

  it("create and remove the SSH context of a remote docker-driver builder", async () => {
    const ctx = new TestFlowContext(kamal(REMOTE));
    answer(ctx, /^docker context inspect/, "", 1);
    await createBuilder(ctx);
    await removeBuilder(ctx);
    expect(ctx.commands("localhost")).toEqual([
      `docker context inspect ${CONTEXT} --format '{{.Endpoints.docker.Host}}'`,
      `docker context create ${CONTEXT} --description 'mrsk app builder on ssh://root@10.0.0.5' --docker host=ssh://root@10.0.0.5`,
      `docker context rm ${CONTEXT}`,
    ]);
  });

  it("details: the builder, driver, endpoint and platforms, then Docker's view", async () => {
    const ctx = new TestFlowContext(kamal(REMOTE));
    answer(ctx, /buildx inspect/, "Name: x\nDriver: docker\n");
    await showBuilder(ctx);
    expect(ctx.commands("localhost")).toEqual([`docker context ls ; docker buildx ls ; docker --context ${CONTEXT} buildx inspect ${CONTEXT}`]);
    const text = (ctx.events.find((e) => e.type === "result") as { text: string }).text;
    expect(text.split("\n").slice(0, 4)).toEqual([
      `Builder: ${CONTEXT}`,
      "Driver: docker",
      `Endpoint: ssh://root@10.0.0.5 (Docker context ${CONTEXT})`,
      "Platforms: linux/amd64",
    ]);
  });
});
