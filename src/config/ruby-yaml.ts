// Reads YAML the way Ruby's Psych (`YAML.unsafe_load`, as Kamal 2 does) reads deploy files.
// The `yaml` package supplies the syntax tree (with the failsafe schema, so it types nothing);
// typing, anchors, merge keys and duplicate keys follow Psych's ToRuby visitor:
//   - plain scalars are typed by Psych's ScalarScanner (see ruby-yaml-scalar.ts);
//   - quoted and block scalars are strings; `!!str` forces a string, `!!float` a Float;
//   - an alias is the same object as its anchor (treat the result as read-only);
//   - `<<` merges a mapping, an alias to one, or a list of them (earlier ones win), in key order:
//     keys written before the `<<` are overwritten by it, keys after it overwrite it;
//   - a duplicate key keeps its first position and takes the last value, plus a warning;
//   - mapping keys are typed like values, then turned into strings with Ruby's `to_s`
//     (`yes:` is the key "true", `1.0:` is "1.0", `~:` is "").
// Value types in the result: see ruby-values.ts (Integer -> number/bigint, Float -> RubyFloat,
// nil -> null, dates and times -> their `to_s` string, symbols -> their name).

import { isAlias, isMap, isScalar, isSeq, parseAllDocuments } from "yaml";
import type { Alias, Document, Node as YamlNode, Scalar, YAMLError, YAMLMap, YAMLSeq } from "yaml";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { resolvePlainScalar } from "./ruby-yaml-scalar.js";
import { isPlainObject, RubyFloat, rubyToS } from "./ruby-values.js";

export { RubyFloat, rubyToS } from "./ruby-values.js";

export type YamlPath = ReadonlyArray<string | number>;

export interface RubyYaml {
  /** The first document, or `false` for a file without one (Psych's fallback). */
  readonly value: unknown;
  readonly warnings: ConfigIssue[];
  /** 1-based line of the key (or sequence item) at `path`, following aliases and merge keys. */
  lineOf(path: YamlPath): number | undefined;
}

export interface RubyYamlOptions {
  /** Maps a line of `text` to the line of the file the user wrote (ERB may have moved lines). */
  readonly sourceLine?: (renderedLine: number) => number;
}

type Doc = Document.Parsed;

/**
 * Aliases share one value, but every later walk (the schema, merges, copies) visits it once per
 * place it appears. A deploy file of thousands of values is large; ten levels of ten aliases
 * expand to 10^10 and exhaust the machine, so the expanded count is bounded before any walk.
 */
export const MAX_EXPANDED_VALUES = 100_000;

const STR_TAGS = new Set(["tag:yaml.org,2002:str", "!str", "!ruby/string"]);
const FLOAT_TAGS = new Set(["tag:yaml.org,2002:float", "!float"]);
const BINARY_TAGS = new Set(["tag:yaml.org,2002:binary", "!binary"]);
const OBJECT_TAGS = new Set(["tag:yaml.org,2002:set", "!set", "tag:yaml.org,2002:omap", "!omap"]);

export function parseRubyYaml(text: string, file: string, options: RubyYamlOptions = {}): RubyYaml {
  const lines = new LineIndex(text, options.sourceLine);
  const docs = parseAllDocuments(text, { schema: "failsafe", uniqueKeys: false, merge: false, prettyErrors: false });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (doc === undefined) return { value: false, warnings: [], lineOf: () => undefined };
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) throw syntaxConfigError(syntaxError, text, file, lines);

  const builder = new RubyValueBuilder(doc, file, lines);
  const value = builder.build(doc.contents, []);
  checkExpansion(value, file);
  return {
    value,
    warnings: builder.warnings,
    lineOf: (path) => lineOfPath(doc, doc.contents, path, lines),
  };
}

/** Builds Ruby-shaped JS values from the syntax tree, one node at a time. */
class RubyValueBuilder {
  readonly warnings: ConfigIssue[] = [];
  // Psych registers each anchored node once; aliases return that very object.
  private readonly built = new Map<YamlNode, unknown>();

  constructor(
    private readonly doc: Doc,
    private readonly file: string,
    private readonly lines: LineIndex,
  ) {}

  /** `owner` is the key a value belongs to: a tag on a collection sits on the key's line. */
  build(node: YamlNode | null, path: YamlPath, owner: YamlNode | null = null): unknown {
    if (node === null) return null;
    if (this.built.has(node)) return this.built.get(node);
    if (isAlias(node)) return this.build(this.resolveAlias(node), path);
    if (isScalar(node)) return this.remember(node, this.scalar(node));
    if (isSeq(node)) return this.sequence(node, path, owner);
    if (isMap(node)) return this.mapping(node, path, owner);
    throw this.error(node, "unsupported YAML node");
  }

  private remember<T>(node: YamlNode, value: T): T {
    this.built.set(node, value);
    return value;
  }

  private resolveAlias(alias: Alias): YamlNode {
    const target = alias.resolve(this.doc);
    if (target === undefined) {
      const name = alias.source;
      const hint = `an unquoted value starting with * is an alias: quote it ("*${name}") if it is text, or define &${name} before using it`;
      throw this.error(alias, `an alias referenced an unknown anchor: ${name}`, hint);
    }
    return target;
  }

  /** Psych's deserialize: style and tag decide before the ScalarScanner does. */
  private scalar(node: Scalar): unknown {
    const text = String(node.source ?? node.value);
    const tag = node.tag;
    if (tag === undefined || tag === "!") {
      // libyaml marks a non-plain scalar "quoted" only when it carries no tag.
      if (tag === undefined && node.type !== "PLAIN") return text;
      return this.plain(node, text);
    }
    if (STR_TAGS.has(tag)) return text;
    if (FLOAT_TAGS.has(tag)) return this.toFloat(node, this.plain(node, text));
    if (BINARY_TAGS.has(tag)) return Buffer.from(text, "base64").toString("utf8");
    if (/^!ruby\/sym(bol)?:?/.test(tag)) return text;
    if (tag.startsWith("!ruby/")) throw this.unsupportedTag(node, tag);
    return this.plain(node, text);
  }

  private plain(node: Scalar, text: string): unknown {
    const resolved = resolvePlainScalar(text);
    if (resolved.kind === "invalid") throw this.error(node, resolved.message, "quote the value to keep it a string");
    return resolved.value;
  }

  /** Kernel#Float on whatever the scanner produced for a `!!float` scalar. */
  private toFloat(node: Scalar, value: unknown): RubyFloat {
    if (value instanceof RubyFloat) return value;
    if (typeof value === "number" || typeof value === "bigint") return new RubyFloat(Number(value));
    if (typeof value === "string") {
      // trim() drops exactly what \s matches; /^\s*…\s*$/ itself backtracks quadratically on spaces.
      const parsed = /^[-+]?(\d[\d_]*)?(\.\d[\d_]*)?([eE][-+]?\d+)?$/.test(value.trim()) ? Number(value.replace(/_/g, "")) : NaN;
      if (!Number.isNaN(parsed) && value.trim() !== "") return new RubyFloat(parsed);
      throw this.error(node, `invalid value for Float(): ${JSON.stringify(value)}`);
    }
    throw this.error(node, `can't convert ${value === null ? "nil" : String(value)} into Float`);
  }

  private sequence(node: YAMLSeq, path: YamlPath, owner: YamlNode | null): unknown[] {
    this.rejectObjectTag(node, owner);
    const list = this.remember(node, [] as unknown[]);
    node.items.forEach((item, i) => list.push(this.build(item as YamlNode | null, [...path, i], item as YamlNode | null)));
    return list;
  }

  private mapping(node: YAMLMap, path: YamlPath, owner: YamlNode | null): Record<string, unknown> {
    this.rejectObjectTag(node, owner);
    const hash = this.remember(node, {} as Record<string, unknown>);
    const written = new Set<string>();
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const valueNode = pair.value as YamlNode | null;
      const key = rubyToS(this.build(keyNode, path));
      const value = this.build(valueNode, [...path, key], keyNode);
      if (key === "<<" && !(isScalar(keyNode) && keyNode.tag !== undefined && STR_TAGS.has(keyNode.tag))) {
        this.merge(hash, valueNode, value);
        continue;
      }
      if (written.has(key)) this.warnDuplicate(keyNode, [...path, key]);
      written.add(key);
      setKey(hash, key, value);
    }
    return hash;
  }

  /** Psych's revive_hash for `<<`: anything that is not a mapping (or list of them) stays a plain `<<` key. */
  private merge(hash: Record<string, unknown>, valueNode: YamlNode | null, value: unknown): void {
    if (isSeq(valueNode) && Array.isArray(value) && value.every(isPlainObject)) {
      const merged: Record<string, unknown> = {};
      for (const source of [...value].reverse()) Object.entries(source).forEach(([k, v]) => setKey(merged, k, v));
      Object.entries(merged).forEach(([k, v]) => setKey(hash, k, v));
    } else if ((isAlias(valueNode) || isMap(valueNode)) && isPlainObject(value)) {
      Object.entries(value).forEach(([k, v]) => setKey(hash, k, v));
    } else {
      setKey(hash, "<<", value);
    }
  }

  private warnDuplicate(keyNode: YamlNode | null, path: YamlPath): void {
    const key = String(path[path.length - 1]);
    this.warnings.push({
      file: this.file,
      path: formatPath(path),
      message: `duplicate key ${JSON.stringify(key)}: the later value wins (as Ruby reads it)`,
      ...lineField(this.lines.lineOfNode(keyNode)),
    });
  }

  private rejectObjectTag(node: YAMLMap | YAMLSeq, owner: YamlNode | null): void {
    const tag = node.tag;
    if (tag !== undefined && (tag.startsWith("!ruby/") || OBJECT_TAGS.has(tag))) throw this.unsupportedTag(owner ?? node, tag);
  }

  private unsupportedTag(node: YamlNode, tag: string): ConfigError {
    return this.error(node, `unsupported YAML tag ${tag}`, "deploy files hold plain data: remove the tag");
  }

  private error(node: YamlNode, message: string, hint?: string): ConfigError {
    return new ConfigError([
      { file: this.file, path: "", message, ...lineField(this.lines.lineOfNode(node)), ...(hint === undefined ? {} : { hint }) },
    ]);
  }
}

/** Counts the values of the document as a walk would meet them (shared ones once per place), stopping at the limit. */
function checkExpansion(root: unknown, file: string): void {
  const sizes = new Map<object, number>();
  const inProgress = new Set<object>();
  const tooLarge = (message: string): ConfigError =>
    ConfigError.single(file, "", message, "anchors and aliases (&name, *name) may repeat a value, not nest repeats of repeats");
  const size = (value: unknown): number => {
    if (value === null || typeof value !== "object") return 1;
    const known = sizes.get(value);
    if (known !== undefined) return known;
    if (inProgress.has(value)) throw tooLarge("an alias refers to a value that contains it (a recursive alias)");
    inProgress.add(value);
    let total = 1;
    for (const inner of Array.isArray(value) ? value : Object.values(value)) {
      total += size(inner);
      if (total > MAX_EXPANDED_VALUES) throw tooLarge(`aliases expand the document beyond ${MAX_EXPANDED_VALUES} values (the limit)`);
    }
    inProgress.delete(value);
    sizes.set(value, total);
    return total;
  };
  size(root);
}

/** Sets an own, enumerable key even for names like `__proto__`. */
function setKey(hash: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(hash, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `servers.web.hosts[1]`, the key-path notation of ConfigIssue. */
export function formatPath(path: YamlPath): string {
  return path.reduce<string>((out, seg) => (typeof seg === "number" ? `${out}[${seg}]` : out === "" ? seg : `${out}.${seg}`), "");
}

function lineField(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

/** Offsets in the rendered text to lines in the file the user wrote. */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(
    text: string,
    private readonly sourceLine: ((renderedLine: number) => number) | undefined,
  ) {
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") this.starts.push(i + 1);
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    const rendered = lo + 1;
    return this.sourceLine ? this.sourceLine(rendered) : rendered;
  }

  renderedLineText(text: string, offset: number): string {
    let lo = 0;
    for (let i = 0; i < this.starts.length && (this.starts[i] ?? 0) <= offset; i++) lo = i;
    const start = this.starts[lo] ?? 0;
    const end = text.indexOf("\n", start);
    return text.slice(start, end === -1 ? undefined : end);
  }

  lineOfNode(node: YamlNode | null | undefined): number | undefined {
    const start = node?.range?.[0];
    return start === undefined ? undefined : this.lineAt(start);
  }
}

function lineOfPath(doc: Doc, root: YamlNode | null, path: YamlPath, lines: LineIndex): number | undefined {
  let node = deref(doc, root);
  let line = lines.lineOfNode(root);
  for (const segment of path) {
    if (isMap(node)) {
      const found = findKey(doc, node, String(segment), new Set());
      if (found === undefined) return undefined;
      line = lines.lineOfNode(found.key);
      node = deref(doc, found.value);
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as YamlNode | undefined;
      if (item === undefined) return undefined;
      line = lines.lineOfNode(item);
      node = deref(doc, item);
    } else {
      return undefined;
    }
  }
  return line;
}

function deref(doc: Doc, node: YamlNode | null | undefined): YamlNode | null {
  const seen = new Set<YamlNode>();
  let current = node ?? null;
  while (isAlias(current) && !seen.has(current)) {
    seen.add(current);
    current = (current.resolve(doc) as YamlNode | undefined) ?? null;
  }
  return current;
}

interface FoundKey {
  readonly key: YamlNode | null;
  readonly value: YamlNode | null;
}

/** Replays the mapping's assignments in order, merges included, so the last writer of `key` wins. */
function findKey(doc: Doc, map: YAMLMap, key: string, visiting: Set<YamlNode>): FoundKey | undefined {
  if (visiting.has(map)) return undefined;
  visiting.add(map);
  let found: FoundKey | undefined;
  for (const pair of map.items) {
    const keyNode = pair.key as YamlNode | null;
    const valueNode = pair.value as YamlNode | null;
    const keyText = keyString(doc, keyNode);
    if (keyText === "<<") {
      const sources = isSeq(valueNode) ? valueNode.items.map((n) => deref(doc, n as YamlNode)) : [deref(doc, valueNode)];
      for (const source of sources) {
        const inSource = isMap(source) ? findKey(doc, source, key, visiting) : undefined;
        if (inSource !== undefined) {
          found = inSource;
          break;
        }
      }
    } else if (keyText === key) {
      found = { key: keyNode, value: valueNode };
    }
  }
  visiting.delete(map);
  return found;
}

/** The `to_s` of a key as the builder computes it, for scalar keys (the only ones paths can name). */
function keyString(doc: Doc, node: YamlNode | null): string | undefined {
  const target = deref(doc, node);
  if (target === null) return "";
  if (!isScalar(target)) return undefined;
  const text = String(target.source ?? target.value);
  if (target.tag !== undefined && STR_TAGS.has(target.tag)) return text;
  if (target.tag === undefined && target.type !== "PLAIN") return text;
  const resolved = resolvePlainScalar(text);
  return resolved.kind === "value" ? rubyToS(resolved.value) : text;
}

/** The parser's first error (libyaml stops there too), with a hint for the classic traps. */
function syntaxConfigError(error: YAMLError, text: string, file: string, lines: LineIndex): ConfigError {
  const offset = error.pos[0];
  const lineText = lines.renderedLineText(text, offset);
  const message = `YAML syntax error: ${error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`;
  const hint = syntaxHint(error, lineText);
  return new ConfigError([
    { file, path: "", message, line: lines.lineAt(offset), ...(hint === undefined ? {} : { hint }) },
  ]);
}

/**
 * The value of a `key: value` line: what /^\s*(?:-\s+)?[^:#]+:\s+(.*)$/ captures on one line,
 * without that regex's quadratic backtracking over a long line of spaces and no colon.
 */
function mappingValue(lineText: string): string | undefined {
  const colon = lineText.indexOf(":");
  if (colon < 1 || lineText.lastIndexOf("#", colon) >= 0) return undefined;
  const afterColon = lineText.slice(colon + 1);
  const value = afterColon.trimStart();
  return value.length < afterColon.length ? value : undefined;
}

function syntaxHint(error: YAMLError, lineText: string): string | undefined {
  if (error.code === "TAB_AS_INDENT" || /^\s*\t/.test(lineText)) {
    return "YAML does not allow tabs for indentation: indent with spaces";
  }
  const value = mappingValue(lineText) ?? /^\s*-\s+(.*)$/.exec(lineText)?.[1];
  if (value !== undefined && /^[*&%@`]/.test(value)) {
    return `a value starting with ${value[0]} must be quoted, e.g. "${value.replace(/"/g, '\\"')}"`;
  }
  if (value !== undefined && /^[^"'[{].*: /.test(value)) {
    return `a value containing ": " must be quoted, e.g. "${value.replace(/"/g, '\\"')}"`;
  }
  return undefined;
}
