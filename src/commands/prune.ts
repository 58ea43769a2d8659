import type { Config } from "../config/model.js";
import { docker } from "./docker.js";
import { cmd, pipe, type Cmd } from "./shell.js";

// Old containers are stopped, not removed, so a rollback can find them; prune keeps the newest
// `retain_containers` stopped ones and removes images no container uses.

export function pruneStoppedContainers(config: Config): Cmd {
  return pipe(
    docker(
      "ps",
      "--quiet",
      "--all",
      "--filter",
      `label=service=${config.service}`,
      "--filter",
      `label=destination=${config.destination ?? ""}`,
      "--filter",
      "status=created",
      "--filter",
      "status=exited",
      "--filter",
      "status=dead",
    ),
    cmd("tail", "-n", `+${config.retainContainers + 1}`),
    cmd("xargs", "--no-run-if-empty", "docker", "rm"),
  );
}

export function pruneDanglingImages(config: Config): Cmd {
  return docker("image", "prune", "--force", "--filter", `label=service=${config.service}`);
}

/** Tagged images of the service, one `<id> <repository>:<tag>` per line. */
export function listServiceImages(config: Config): Cmd {
  return docker("image", "ls", "--filter", `label=service=${config.service}`, "--format", "{{.ID}} {{.Repository}}:{{.Tag}}");
}

/** Images every container of the service (of any destination) was made from, one per line. */
export function listImagesInUse(config: Config): Cmd {
  return docker("container", "ls", "--all", "--filter", `label=service=${config.service}`, "--format", "{{.Image}}");
}

export function removeImages(refs: readonly string[]): Cmd {
  return docker("rmi", ...refs);
}

/** Tags to remove: the service's images that no container uses, keeping `latest` tags. */
export function unusedImages(imageLines: string, inUseLines: string): string[] {
  const inUse = new Set(inUseLines.split("\n").map((l) => l.trim()).filter((l) => l !== ""));
  return imageLines
    .split("\n")
    .map((l) => l.trim().split(" ")[1])
    .filter((ref): ref is string => ref !== undefined && ref !== "")
    .filter((ref) => !ref.endsWith(":<none>") && !/:latest(-[\w.-]+)?$/.test(ref) && !inUse.has(ref));
}
