// Host entries as deploy.yml writes them: `1.2.3.4`, or a one-key mapping giving the host its
// tags (`- 1.2.3.4: canary` / `- 1.2.3.4: [eu, canary]`), used for per-host env (`env.tags`).

export interface HostEntry {
  readonly host: string;
  readonly tags: readonly string[];
}

export function readHostEntries(raw: unknown): HostEntry[] {
  if (raw === null || raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const out: HostEntry[] = [];
  for (const item of list) {
    if (item !== null && typeof item === "object" && !Array.isArray(item)) {
      for (const [host, tags] of Object.entries(item as Record<string, unknown>)) {
        out.push({ host, tags: tags === null || tags === undefined ? [] : (Array.isArray(tags) ? tags : [tags]).map(String) });
      }
    } else if (item !== null && item !== undefined && String(item) !== "") {
      out.push({ host: String(item), tags: [] });
    }
  }
  return out;
}

export function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}
