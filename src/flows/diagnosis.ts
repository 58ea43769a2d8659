// What a failed boot shows about a new container, read with `diagnoseContainer` in one round trip:
// Docker's state (status, exit code, OOM kill, error, restart count), the health probe log when
// Docker runs the check (the Traefik era), and the container's last log lines. The output layer
// masks secrets in all of it, as in every message.

/** The last log lines shown, unless `healthcheck.log_lines` says otherwise. */
export const DIAGNOSIS_LOG_LINES = 30;

interface HealthLogEntry {
  Start?: string;
  ExitCode?: number;
  Output?: string;
}

export interface ContainerState {
  Status?: string;
  ExitCode?: number;
  OOMKilled?: boolean;
  Error?: string;
  Health?: { Status?: string; FailingStreak?: number; Log?: HealthLogEntry[] } | null;
}

export interface Diagnosis {
  /** Undefined when the container is gone. */
  state: ContainerState | undefined;
  restarts: number;
  logs: string;
}

/** Parses `diagnoseContainer`'s output: the state line (when the container exists), then the log. */
export function parseDiagnosis(stdout: string): Diagnosis {
  const newline = stdout.indexOf("\n");
  const first = newline < 0 ? stdout : stdout.slice(0, newline);
  const m = /^(\{.*\}) (\d+)$/.exec(first);
  if (m === null) return { state: undefined, restarts: 0, logs: stdout };
  try {
    return { state: JSON.parse(m[1]!) as ContainerState, restarts: Number(m[2]), logs: newline < 0 ? "" : stdout.slice(newline + 1) };
  } catch {
    return { state: undefined, restarts: 0, logs: stdout };
  }
}

/** `exited with code 1, killed for lack of memory (OOM), restarted 3 times`. */
export function describeState(d: Diagnosis): string {
  const s = d.state;
  if (s === undefined) return "gone (removed, or never created)";
  const parts = [s.Status === "exited" || s.Status === "dead" ? `${s.Status} with code ${s.ExitCode ?? "?"}` : (s.Status ?? "unknown")];
  // Docker resets ExitCode to 0 once a restarted container runs again: only `restarting` still has it.
  if (s.Status === "restarting") parts.push(`last exit code ${s.ExitCode ?? "?"}`);
  if (s.OOMKilled === true) parts.push("killed for lack of memory (OOM)");
  if (d.restarts > 0) parts.push(`restarted ${d.restarts} time${d.restarts === 1 ? "" : "s"}`);
  if (s.Health?.Status !== undefined) parts.push(`health ${s.Health.Status}${(s.Health.FailingStreak ?? 0) > 0 ? ` after ${s.Health.FailingStreak} failed checks in a row` : ""}`);
  if (s.Error !== undefined && s.Error !== "") parts.push(`error: ${s.Error}`);
  return parts.join(", ");
}

/** The indented sections of the error: state, Docker's health checks (if any), the last log lines. */
export function formatDiagnosis(d: Diagnosis, extra: string[] = []): string {
  const out = [`  State: ${describeState(d)}`];
  const checks = d.state?.Health?.Log ?? [];
  if (checks.length > 0) {
    out.push("  Health checks (Docker runs them in the container):");
    for (const c of checks) out.push(`    ${timeOf(c.Start)}exit ${c.ExitCode ?? "?"}: ${(c.Output ?? "").trim().replace(/\s*\n\s*/g, " ") || "(no output)"}`);
  }
  out.push(...extra);
  const logs = d.state === undefined ? "" : d.logs.trimEnd();
  out.push(logs === "" ? "  Log: (empty)" : `  Last ${logs.split("\n").length} log lines:\n${logs.replace(/^/gm, "    ")}`);
  return out.join("\n");
}

/** A hint from the state alone, when it says more than the probe does. */
export function stateHint(d: Diagnosis): string | undefined {
  const s = d.state;
  if (s?.OOMKilled === true) return "the container ran out of memory: give it more (e.g. `options: { memory: 1g }`) or make the app use less";
  if (s?.ExitCode === 127 && s.Status !== "running") return "exit code 127: the container's command was not found; check the image's CMD or the role's cmd";
  if (s?.ExitCode === 126 && s.Status !== "running") return "exit code 126: the container's command is not executable";
  if (s !== undefined && (s.Status === "restarting" || s.Status === "exited" || s.Status === "dead" || d.restarts > 0)) {
    const code = s.Status === "running" ? "" : ` (exit code ${s.ExitCode ?? "?"})`;
    return `the container exits after it starts${code}: its log lines above say why`;
  }
  return undefined;
}

function timeOf(iso: string | undefined): string {
  const m = iso === undefined ? null : /T(\d\d:\d\d:\d\d)/.exec(iso);
  return m === null ? "" : `${m[1]} `;
}
