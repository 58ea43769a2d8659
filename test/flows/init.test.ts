import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { MrskError } from "../../src/errors.js";
import { initProject, schemaModeline } from "../../src/flows/init.js";

// `mrsk init` in a throwaway directory: what it writes, with which modes, and what it leaves alone.

const TEMPLATES = fileURLToPath(new URL("../../templates/", import.meta.url));
const HOOKS = [".mrsk/hooks/post-deploy.sample", ".mrsk/hooks/pre-build.sample", ".mrsk/hooks/pre-connect.sample", ".mrsk/hooks/pre-deploy.sample"];

const projects: string[] = [];

function freshProject(): string {
  const cwd = mkdtempSync(join(tmpdir(), "mrsk-init-"));
  projects.push(cwd);
  return cwd;
}

afterEach(() => {
  for (const cwd of projects.splice(0)) rmSync(cwd, { recursive: true, force: true });
});

const read = (cwd: string, path: string): string => readFileSync(join(cwd, path), "utf8");
const mode = (cwd: string, path: string): number => statSync(join(cwd, path)).mode & 0o777;

/** Every file under `dir`, relative to it, sorted. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe("initProject", () => {
  it("creates config/deploy.yml from the template, a private .env, executable sample hooks and a .gitignore entry", () => {
    const cwd = freshProject();
    const result = initProject(cwd);
    expect(result).toEqual({ created: ["config/deploy.yml", ".env", ...HOOKS, ".gitignore entry for .env"], skipped: [] });
    expect(tree(cwd)).toEqual([".env", ".gitignore", ...HOOKS, "config/deploy.yml"].sort());
    expect(read(cwd, "config/deploy.yml")).toBe(`${schemaModeline(cwd)}\n${readFileSync(join(TEMPLATES, "deploy.yml"), "utf8")}`);
    expect(read(cwd, ".env")).toBe(readFileSync(join(TEMPLATES, "env.sample"), "utf8"));
    expect(mode(cwd, ".env")).toBe(0o600);
    for (const hook of HOOKS) {
      expect(mode(cwd, hook)).toBe(0o755);
      expect(read(cwd, hook)).toBe(readFileSync(join(TEMPLATES, "hooks", hook.slice(".mrsk/hooks/".length)), "utf8"));
    }
    expect(read(cwd, ".gitignore")).toBe(".env\n");
  });

  it("appends .env to an existing .gitignore, adding the missing trailing newline first", () => {
    const cwd = freshProject();
    writeFileSync(join(cwd, ".gitignore"), "node_modules\n/tmp");
    expect(initProject(cwd).created).toContain(".gitignore entry for .env");
    expect(read(cwd, ".gitignore")).toBe("node_modules\n/tmp\n.env\n");
  });

  it("appends .env to a .gitignore that ends with a newline without an empty line", () => {
    const cwd = freshProject();
    writeFileSync(join(cwd, ".gitignore"), "node_modules\n");
    initProject(cwd);
    expect(read(cwd, ".gitignore")).toBe("node_modules\n.env\n");
  });

  it.each([".env", "/.env", "  .env  "])("leaves a .gitignore that already lists %j unchanged", (listed) => {
    const cwd = freshProject();
    const before = `node_modules\n${listed}\nlog/*`;
    writeFileSync(join(cwd, ".gitignore"), before);
    const result = initProject(cwd);
    expect(read(cwd, ".gitignore")).toBe(before);
    expect(result.created).not.toContain(".gitignore entry for .env");
  });

  it("keeps an existing .env as it is and reports it as skipped", () => {
    const cwd = freshProject();
    writeFileSync(join(cwd, ".env"), "MRSK_REGISTRY_PASSWORD=mine\n", { mode: 0o640 });
    const result = initProject(cwd);
    expect(result.skipped).toEqual([".env"]);
    expect(result.created).toEqual(["config/deploy.yml", ...HOOKS, ".gitignore entry for .env"]);
    expect(read(cwd, ".env")).toBe("MRSK_REGISTRY_PASSWORD=mine\n");
    expect(mode(cwd, ".env")).toBe(0o640);
  });

  it("keeps an existing sample hook and reports it as skipped", () => {
    const cwd = freshProject();
    mkdirSync(join(cwd, ".mrsk/hooks"), { recursive: true });
    writeFileSync(join(cwd, ".mrsk/hooks/pre-build.sample"), "#!/bin/sh\necho mine\n");
    const result = initProject(cwd);
    expect(result.skipped).toEqual([".mrsk/hooks/pre-build.sample"]);
    expect(read(cwd, ".mrsk/hooks/pre-build.sample")).toBe("#!/bin/sh\necho mine\n");
  });

  it("refuses when config/deploy.yml exists, changing nothing", () => {
    const cwd = freshProject();
    mkdirSync(join(cwd, "config"));
    writeFileSync(join(cwd, "config/deploy.yml"), "service: mine\n");
    const error = (() => {
      try {
        initProject(cwd);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(MrskError);
    expect(error).toMatchObject({ message: "config/deploy.yml already exists; nothing was changed", hint: "edit it, or move it away to start over" });
    expect(tree(cwd)).toEqual(["config/deploy.yml"]);
    expect(read(cwd, "config/deploy.yml")).toBe("service: mine\n");
    expect(existsSync(join(cwd, ".mrsk"))).toBe(false);
  });

  it("writes a configuration the real loader accepts, reading its secrets from the new .env, with the Traefik driver", () => {
    const cwd = freshProject();
    initProject(cwd);
    const config = loadConfig({ cwd, env: { PATH: process.env.PATH, VERSION: "abc1234" }, toolVersion: "test" });
    expect(config.era).toBe("mrsk");
    expect(config.proxyDriver).toBe("traefik");
    expect(config.service).toBe("my-app");
    expect(config.version).toBe("abc1234");
    expect(config.allHosts).toEqual(["192.168.0.1"]);
    expect(config.roles.map((r) => r.name)).toEqual(["web"]);
    expect(config.registry.password).toBe("change-this");
    expect(config.hooksPath).toBe(".mrsk/hooks");
  });
});
