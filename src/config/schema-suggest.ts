// "Did you mean …?" for unknown configuration keys.
import type { UnknownKeyInfo } from "./schema-values.js";

const LISTED_KEYS_MAX = 12;

/** Optimal-string-alignment distance: Levenshtein plus swaps of two adjacent characters. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The valid key `key` was most likely meant to be: within two edits (one for keys of four
 * characters or fewer, where two edits turn `port` into `host`), else one that starts the other
 * (`enviroment` → `env`, `health` → `healthcheck`; at least three characters in common).
 */
export function closestKey(key: string, validKeys: readonly string[]): string | undefined {
  const wanted = key.toLowerCase();
  const limit = wanted.length <= 4 ? 1 : 2;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of validKeys) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  if (best) return best.key;
  const prefixed = validKeys.filter((candidate) => {
    const lower = candidate.toLowerCase();
    const shorter = Math.min(lower.length, wanted.length);
    return shorter >= 3 && (wanted.startsWith(lower) || lower.startsWith(wanted));
  });
  return prefixed.sort((x, y) => Math.abs(x.length - wanted.length) - Math.abs(y.length - wanted.length))[0];
}

/**
 * The hint for an unknown key at `path` (dotted, the key last): a close spelling, then the same
 * key one level up or down, else the keys valid there.
 */
export function unknownKeyHint(key: string, path: string, info: UnknownKeyInfo): string {
  const close = closestKey(key, info.validKeys);
  if (close !== undefined) return `did you mean "${close}"?`;
  if (info.upKeys?.includes(key)) {
    const parent = parentPath(parentPath(path));
    return `did you mean "${parent === "" ? key : `${parent}.${key}`}"? It belongs one level up`;
  }
  if (info.down?.keys.includes(key)) return `"${key}" is set per entry: put it under "${info.down.where}.${key}"`;
  return `valid keys here: ${listKeys(info.validKeys)}`;
}

function listKeys(keys: readonly string[]): string {
  const sorted = [...keys].sort();
  const shown = sorted.slice(0, LISTED_KEYS_MAX).join(", ");
  return sorted.length > LISTED_KEYS_MAX ? `${shown}, … (${sorted.length} in all)` : shown;
}

function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
  return cut <= 0 ? "" : path.slice(0, cut);
}
