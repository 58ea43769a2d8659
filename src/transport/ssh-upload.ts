// Paths on a host as ssh reads them.

/** Relative paths are relative to the login directory, as with ssh; `~/x` means the same. */
export function remotePath(path: string): string {
  return path.startsWith("~/") ? path.slice(2) : path;
}
