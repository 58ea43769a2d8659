// Shell-style patterns (`*`, `?`) for host and role filters and known_hosts entries, matched in
// linear time.

/**
 * Shell-style match with `*` (and `?`), as Kamal's fnmatch filters. Not a `.*` regex: V8
 * backtracks one polynomially in the number of stars. Between stars each piece has a fixed
 * length, so placing every middle piece at its leftmost fit is enough: the work is the value's
 * length times a piece's.
 */
export function matches(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const pieces = pattern.split("*");
  const first = pieces[0]!;
  if (pieces.length === 1) return value.length === first.length && pieceFits(first, value, 0);
  const last = pieces[pieces.length - 1]!;
  const lastStart = value.length - last.length;
  if (lastStart < first.length || !pieceFits(first, value, 0) || !pieceFits(last, value, lastStart)) return false;
  let at = first.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = findPiece(piece, value, at, lastStart);
    if (found < 0) return false;
    at = found + piece.length;
  }
  return true;
}

/** Whether `piece` (literal but for `?`, any one character) matches `value` at `start`. */
function pieceFits(piece: string, value: string, start: number): boolean {
  for (let k = 0; k < piece.length; k++) {
    if (piece[k] !== "?" && piece[k] !== value[start + k]) return false;
  }
  return true;
}

/** The leftmost place at or after `from` where `piece` fits and ends by `end`, or -1. */
function findPiece(piece: string, value: string, from: number, end: number): number {
  for (let start = from; start + piece.length <= end; start++) {
    if (pieceFits(piece, value, start)) return start;
  }
  return -1;
}
