import { describe, expect, it } from "vitest";
import { buildxDetails, removeBuildxBuilder } from "../../src/commands/builder.js";
import { toShell } from "../../src/commands/shell.js";
import { deliverImage, pullImage, pushImage } from "../../src/flows/build-commands.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";
import { TestFlowContext } from "../support/flow-context.js";

const config = configFrom(`${MRSK_MINIMAL}builder:\n  multiarch: false\n`, { env: MRSK_SECRETS });
const normalize = (l: string) => l.replace(/echo [A-Za-z0-9+/=]{40,} >/, "echo DETAILS >").replace(/\[\d{4}-[^\]]+\] \[[^\]]+\]/, "[T] [U]").replace(/owner\.[0-9a-f]{16}/g, "owner.TOKEN");

describe("build commands", () => {
  it("push: builds and pushes on this machine, under the deploy lock", async () => {
    const ctx = new TestFlowContext(config);
    await pushImage(ctx);
    expect(ctx.commands("localhost")).toEqual([
      "docker login --username user --password-stdin",
      "docker --version",
      "docker build -t dhh/app:999 -t dhh/app:latest --label service=app --file Dockerfile . && docker push dhh/app:999 && docker push dhh/app:latest",
    ]);
    expect(ctx.commands("1.1.1.1").map(normalize)).toEqual(["mkdir -p .mrsk && mkdir .mrsk/lock-app && echo DETAILS > .mrsk/lock-app/details && touch .mrsk/lock-app/heartbeat .mrsk/lock-app/owner.TOKEN .mrsk/lock-app/ttl.300", "test -e .mrsk/lock-app/owner.TOKEN && rm -rf .mrsk/lock-app"]);
  });

  it("pull: logs in and pulls on every app host", async () => {
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
    await deliverImage(ctx);
    expect(ctx.commands("localhost").at(-1)).toMatch(/^docker build .* && docker push dhh\/app:latest$/);
    expect(ctx.commands("1.1.1.2").at(-1)).toMatch(/&& docker pull dhh\/app:999$/);
  });

  it("manage the buildx builder by its MRSK name", () => {
    expect(toShell(removeBuildxBuilder(config))).toBe("docker buildx rm mrsk-app-multiarch");
    expect(toShell(buildxDetails(config))).toBe("docker buildx ls && docker buildx inspect mrsk-app-multiarch");
  });
});
