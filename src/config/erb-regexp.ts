import { RE2JS } from "re2js";

// Regexps in deploy-file ERB run on RE2 (the re2js package, plain JavaScript): its matching time is
// linear in the input, so no pattern can run away. V8's backtracking engine spent ten minutes on
// one catastrophic `.gsub`; a time budget cannot interrupt a running RegExp, a safe-regex check
// only guesses. RE2 has no backreferences or lookaround; patterns using them are refused.

export interface RegexpMatch {
  readonly index: number;
  readonly end: number;
  /** Group 0 (the whole match) first; an unmatched group is undefined. */
  readonly groups: ReadonlyArray<string | undefined>;
}

/** A Ruby regexp (`/…/imx`) compiled for RE2; `^` and `$` are line anchors, as in Ruby. */
export function compileRubyRegexp(source: string, flags: string): RE2JS {
  if (/(?:^|[^\\])(?:\\\\)*\\Z/.test(source)) throw new Error("\\Z is not supported: use \\z (end of text) or \\n?\\z");
  const translated = source.replace(/\\h/g, "[0-9a-fA-F]");
  let re2Flags = RE2JS.MULTILINE;
  if (flags.includes("i")) re2Flags |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes("m")) re2Flags |= RE2JS.DOTALL;
  return RE2JS.compile(translated, re2Flags);
}

/** The literal text as a pattern. */
export function literalRegexp(text: string): RE2JS {
  return RE2JS.compile(RE2JS.quote(text));
}

/** Matches left to right (after an empty match, the search moves on one character). */
export function* matchesOf(regexp: RE2JS, text: string, global: boolean): Generator<RegexpMatch> {
  const matcher = regexp.matcher(text);
  while (matcher.find()) {
    const groups: Array<string | undefined> = [];
    for (let g = 0; g <= matcher.groupCount(); g++) groups.push(matcher.group(g) ?? undefined);
    yield { index: matcher.start(), end: matcher.end(), groups };
    if (!global) return;
  }
}
