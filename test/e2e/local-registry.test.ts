import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { containersOn, createProject, describeRig, rigBasics, type MrskRun, type Project } from "./support/project.js";
import { onHost, rigUp, type RigState } from "./support/rig.js";

// A registry on the deploying machine only (`registry.server: localhost:PORT`, no account): the
// hosts pull through SSH reverse tunnels that exist while they pull.

const SERVICE = "localreg";
const PORT = 5555;
let rig: RigState;
let project: Project;
let registry: ChildProcess;
let storage: string;
let last: MrskRun | undefined;

beforeAll(async () => {
  rig = await rigUp({ hosts: 2 });
  for (const i of [1, 2]) await onHost(i, `docker ps -aq --filter label=service=${SERVICE} | xargs -r docker rm -f; rm -rf .mrsk/${SERVICE}`);
  storage = mkdtempSync(path.join(tmpdir(), "mrsk-local-registry-"));
  writeFileSync(path.join(storage, "config.yml"), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${storage}/data\nhttp:\n  addr: 127.0.0.1:${PORT}\n`);
  registry = spawn("/usr/bin/docker-registry", ["serve", path.join(storage, "config.yml")], { stdio: "ignore" });
  for (let i = 0; i < 50; i++) {
    if (await fetch(`http://127.0.0.1:${PORT}/v2/`).then((r) => r.ok, () => false)) break;
    await delay(100);
  }
  project = createProject(rig, SERVICE);
  project.writeConfig(
    [
      `service: ${SERVICE}`,
      "image: mrsk-e2e/local",
      "servers:",
      "  web:",
      "    hosts:",
      ...rig.hosts.map((h) => `      - ${h.address}`),
      "    traefik: false",
      ...rigBasics(rig, ["registry:", `  server: localhost:${PORT}`]),
      "readiness_delay: 1",
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  for (const i of [1, 2]) await onHost(i, `docker ps -aq --filter label=service=${SERVICE} | xargs -r docker rm -f; docker image ls -q localhost:${PORT}/mrsk-e2e/local | xargs -r docker rmi -f; rm -rf .mrsk/${SERVICE}`);
  project?.remove();
  registry?.kill();
  rmSync(storage, { recursive: true, force: true });
});

describe("a registry on the deploying machine", () => {
  it("is reached by every host through an SSH tunnel while it pulls, without credentials", async () => {
    onTestFailed(async () => console.error(`${last?.output}\n${await describeRig(rig)}`));
    last = await project.mrsk(["deploy"], { VERSION: "v1" });
    expect(last.exitCode).toBe(0);
    for (const i of [1, 2]) {
      expect(await containersOn(i, SERVICE)).toEqual({ "localreg-web-v1": "running" });
      expect((await onHost(i, "docker inspect --format '{{.Config.Image}}' localreg-web-v1")).stdout.trim()).toBe(`localhost:${PORT}/mrsk-e2e/local:v1`);
      // The tunnel lived only for the pull.
      expect((await onHost(i, `curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:${PORT}/v2/ || true`)).stdout.trim()).toBe("000");
    }
    expect(last.output).not.toMatch(/Logging in/);
  });
});
