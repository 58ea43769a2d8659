import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/model.js";

export interface ProjectFiles {
  /** config/deploy.yml */
  deploy: string;
  /** Other files of the project, by relative path. */
  files?: Record<string, string>;
}

/** Loads a configuration through the real loader from a throwaway project directory. */
export function configFrom(project: ProjectFiles | string, options: { destination?: string; version?: string; env?: Record<string, string> } = {}): Config {
  const files = typeof project === "string" ? { deploy: project } : project;
  const cwd = mkdtempSync(join(tmpdir(), "mrsk-config-"));
  try {
    mkdirSync(join(cwd, "config"));
    writeFileSync(join(cwd, "config/deploy.yml"), files.deploy);
    for (const [path, text] of Object.entries(files.files ?? {})) {
      mkdirSync(join(cwd, path, ".."), { recursive: true });
      writeFileSync(join(cwd, path), text);
    }
    return loadConfig({
      cwd,
      destination: options.destination,
      version: options.version ?? "999",
      env: { PATH: process.env.PATH, ...options.env },
      toolVersion: "test",
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The MRSK test fixture's minimal app: service app, image dhh/app, version 999. */
export const MRSK_MINIMAL = `
service: app
image: dhh/app
servers:
  - 1.1.1.1
  - 1.1.1.2
registry:
  username: user
  password:
    - MRSK_REGISTRY_PASSWORD
env:
  clear:
    RAILS_ENV: production
  secret:
    - RAILS_MASTER_KEY
`;

export const MRSK_SECRETS = { MRSK_REGISTRY_PASSWORD: "registry-pw-value", RAILS_MASTER_KEY: "master-key-value" };
