// A destination overlay is deep-merged over the base file: mappings merge key by key, while lists
// and scalars are replaced whole (so an overlay that sets `env.secret` re-lists every secret).

type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function deepMerge(base: unknown, overlay: unknown): unknown {
  if (!isMapping(base) || !isMapping(overlay)) return overlay === undefined ? base : overlay;
  const out: Mapping = { ...base };
  for (const [key, value] of Object.entries(overlay)) out[key] = key in base ? deepMerge(base[key], value) : value;
  return out;
}

/**
 * Which file a key path of the merged document came from: the overlay when it sets that path (or a
 * list/scalar above it), else the base file. Paths look like `servers.web.hosts[1]`.
 */
export function provenance(overlay: unknown, baseFile: string, overlayFile: string | undefined): (path: string) => string {
  return (path) => {
    if (overlayFile === undefined) return baseFile;
    let node: unknown = overlay;
    for (const key of splitPath(path)) {
      if (!isMapping(node)) return node === undefined ? baseFile : overlayFile;
      if (!(key in node)) return baseFile;
      node = node[key];
    }
    return node === undefined ? baseFile : overlayFile;
  };
}

/** `servers.web.hosts[1]` → ["servers", "web", "hosts"]; list indexes stay with their list. */
function splitPath(path: string): string[] {
  return path === "" ? [] : path.replace(/\[\d+\]/g, "").split(".");
}
