import { execFileSync } from "node:child_process";
import { hostname, userInfo } from "node:os";

// Who is deploying, for lock details, audit lines and hooks.

export interface Performer {
  /** `git config user.name`, else the login name. */
  name: string;
  /** `$USER@host`. */
  login: string;
  /** The CI run's URL when running in GitHub Actions. */
  ciRunUrl: string | undefined;
}

export function currentPerformer(env: Readonly<Record<string, string | undefined>>, cwd: string): Performer {
  const user = env.USER ?? safeUserName();
  return {
    name: gitUserName(cwd) ?? user,
    login: `${user}@${hostname()}`,
    ciRunUrl:
      env.GITHUB_ACTIONS === "true" && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : undefined,
  };
}

function gitUserName(cwd: string): string | undefined {
  try {
    const name = execFileSync("git", ["config", "user.name"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return name === "" ? undefined : name;
  } catch {
    return undefined;
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
