// Runs a parsed ERB program with Ruby's semantics for the supported subset: truthiness (only nil
// and false are false), `&&`/`||` returning operands, Ruby's method results and its error
// messages (Ruby 3.3 wording), so that a template means here what it means under Kamal.

import path from "node:path";
import type { RE2JS } from "re2js";
import { isKindOf, RubyError } from "./erb-errors.js";
import { parseDotenv } from "./erb-dotenv.js";
import { compileRubyRegexp, literalRegexp, matchesOf } from "./erb-regexp.js";
import type { AssignOp, BinaryOp, Expr, InterpolatedPart, RescueClause } from "./erb-parser.js";
import { formatRubyFloat, RubyFloat, rubyInspect, RubySymbol, rubyToS } from "./ruby-values.js";

/** What ERB code can reach outside itself. */
export interface ErbRuntime {
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  exec(command: string): string;
  /** Reads a file by absolute path; throws a Node error (with `code`) when it cannot. */
  readFile(absolutePath: string): string;
  fileExists(absolutePath: string): boolean;
}

/** Receives rendered text with the template line it came from. */
export interface ErbOutput {
  write(text: string, line: number, fromTemplateText: boolean): void;
}

/** ENV, File and Dotenv: the objects behind the constants the subset knows. */
class RubyModule {
  constructor(
    readonly name: "ENV" | "File" | "Dotenv",
    /** How Ruby 3.3 names the receiver in "undefined method … for …". */
    readonly description: string,
  ) {}

  toString(): string {
    return this.name;
  }
}

const ENV_OBJECT = new RubyModule("ENV", "an instance of Object");
const FILE_CLASS = new RubyModule("File", "class File");
const DOTENV_MODULE = new RubyModule("Dotenv", "module Dotenv");

const CONSTANT_VALUES: Readonly<Record<string, unknown>> = {
  ENV: ENV_OBJECT,
  File: FILE_CLASS,
  Dotenv: DOTENV_MODULE,
  RUBY_ENGINE: "ruby",
  RUBY_ENGINE_VERSION: "3.3.0",
  RUBY_VERSION: "3.3.0",
};

/** Libraries `require` accepts (and ignores: their features are built in or out of the subset). */
const REQUIRABLE = new Set(["json", "dotenv", "yaml"]);

/**
 * The longest string ERB may build, and the longest rendered file: a million characters, a hundred
 * times the largest deploy file of the corpus. `"a" * 300000000` exhausted the heap; here it stops
 * before allocating, with an error naming the limit.
 */
export const MAX_STRING_LENGTH = 1_000_000;

export function checkStringLength(length: number): void {
  if (length > MAX_STRING_LENGTH) {
    throw new RubyError("NoMemoryError", `string of more than ${MAX_STRING_LENGTH} characters (the ERB limit)`, "deploy files are small: build less text in ERB");
  }
}

class RubyRegexp {
  readonly pattern: RE2JS;

  constructor(
    readonly source: string,
    readonly flags: string,
  ) {
    this.pattern = compileRubyRegexp(source, flags);
  }

  /** Regexp#to_s, e.g. `(?i-mx:abc)`. */
  toString(): string {
    const on = ["m", "i", "x"].filter((f) => this.flags.includes(f)).join("");
    const off = ["m", "i", "x"].filter((f) => !this.flags.includes(f)).join("");
    return `(?${on}${off === "" ? "" : `-${off}`}:${this.source})`;
  }
}

/** An exception bound by `rescue => e`. */
class RubyException {
  constructor(
    readonly rubyClass: string,
    readonly message: string,
  ) {}

  toString(): string {
    return this.message;
  }
}

export function evaluateErb(program: readonly Expr[], runtime: ErbRuntime, output: ErbOutput): void {
  new Interpreter(runtime, output).run(program);
}

class Interpreter {
  private readonly locals = new Map<string, unknown>();

  constructor(
    private readonly runtime: ErbRuntime,
    private readonly output: ErbOutput,
  ) {}

  run(program: readonly Expr[]): void {
    this.body(program);
  }

  private body(body: readonly Expr[]): unknown {
    let value: unknown = null;
    for (const expr of body) value = this.eval(expr);
    return value;
  }

  private eval(expr: Expr): unknown {
    try {
      const value = this.evalNode(expr);
      if (typeof value === "string") checkStringLength(value.length);
      return value;
    } catch (error) {
      if (error instanceof RubyError && error.line === undefined) error.line = expr.line;
      throw error;
    }
  }

  private evalNode(e: Expr): unknown {
    switch (e.k) {
      case "text":
        this.output.write(e.text, e.line, true);
        return null;
      case "output":
        this.output.write(rubyToS(this.body(e.body)), e.line, false);
        return null;
      case "nil":
        return null;
      case "bool":
        return e.value;
      case "int":
        return e.value;
      case "float":
        return new RubyFloat(e.value);
      case "symbol":
        return RubySymbol.for(e.name);
      case "str":
        return this.interpolate(e.parts);
      case "xstr":
        return this.runtime.exec(this.interpolate(e.parts));
      case "regexp":
        return this.regexp(e.source, e.flags);
      case "array":
        return e.items.map((item) => this.eval(item));
      case "hash":
        return new Map(e.pairs.map(([k, v]) => [hashKey(this.eval(k)), this.eval(v)]));
      case "lvar":
        return this.locals.get(e.name) ?? null;
      case "lasgn":
        return this.assignLocal(e.name, e.op, e.value);
      case "iasgn":
        return this.assignIndex(e.recv, e.args, e.op, e.value);
      case "const":
        return CONSTANT_VALUES[e.name] ?? null;
      case "call":
        return this.call(e.recv, e.name, e.args, e.safe);
      case "index":
        return this.index(this.eval(e.recv), e.args.map((a) => this.eval(a)), e.recv);
      case "not":
        return !truthy(this.eval(e.expr));
      case "neg":
        return negate(this.eval(e.expr));
      case "and": {
        const left = this.eval(e.left);
        return truthy(left) ? this.eval(e.right) : left;
      }
      case "or": {
        const left = this.eval(e.left);
        return truthy(left) ? left : this.eval(e.right);
      }
      case "binop":
        return binary(e.op, this.eval(e.left), this.eval(e.right));
      case "if":
        return truthy(this.eval(e.cond)) ? this.body(e.then) : this.body(e.else);
      case "begin":
        return this.beginRescue(e.body, e.rescues, e.elseBody, e.ensureBody);
      case "rescueMod":
        try {
          return this.eval(e.body);
        } catch (error) {
          if (error instanceof RubyError && isKindOf(error.rubyClass, "StandardError")) return this.eval(e.fallback);
          throw error;
        }
      case "seq":
        return this.body(e.body);
      case "raise":
        throw new RubyError(e.rubyClass, e.message === null ? e.rubyClass : rubyToS(this.eval(e.message)));
    }
  }

  private interpolate(parts: readonly InterpolatedPart[]): string {
    return parts.map((part) => (typeof part === "string" ? part : rubyToS(this.body(part)))).join("");
  }

  private regexp(source: string, flags: string): RubyRegexp {
    try {
      return new RubyRegexp(source, flags);
    } catch (error) {
      throw new RubyError("RegexpError", `invalid regexp /${source}/: ${(error as Error).message}`);
    }
  }

  private assignLocal(name: string, op: AssignOp, valueExpr: Expr): unknown {
    const current = this.locals.get(name) ?? null;
    const value = this.compound(op, current, valueExpr);
    this.locals.set(name, value);
    return value;
  }

  private assignIndex(recvExpr: Expr, argExprs: readonly Expr[], op: AssignOp, valueExpr: Expr): unknown {
    const recv = this.eval(recvExpr);
    const args = argExprs.map((a) => this.eval(a));
    const current = op === "=" ? null : this.index(recv, args, recvExpr);
    const value = this.compound(op, current, valueExpr);
    if (recv === ENV_OBJECT && args.length === 1) {
      const key = stringArgument(args[0]);
      if (value !== null && typeof value !== "string") throw conversionError(value, "String");
      this.runtime.env[key] = value === null ? undefined : value;
    } else if (recv instanceof Map && args.length === 1) {
      recv.set(hashKey(args[0]), value);
    } else {
      throw noMethod(recv, "[]=");
    }
    return value;
  }

  private compound(op: AssignOp, current: unknown, valueExpr: Expr): unknown {
    switch (op) {
      case "=":
        return this.eval(valueExpr);
      case "||=":
        return truthy(current) ? current : this.eval(valueExpr);
      case "&&=":
        return truthy(current) ? this.eval(valueExpr) : current;
      case "+=":
        return binary("+", current, this.eval(valueExpr));
    }
  }

  private beginRescue(
    body: readonly Expr[],
    rescues: readonly RescueClause[],
    elseBody: readonly Expr[],
    ensureBody: readonly Expr[],
  ): unknown {
    try {
      const value = this.body(body);
      return elseBody.length > 0 ? this.body(elseBody) : value;
    } catch (error) {
      if (!(error instanceof RubyError)) throw error;
      const clause = rescues.find((r) => (r.classes.length === 0 ? ["StandardError"] : r.classes).some((c) => isKindOf(error.rubyClass, c)));
      if (clause === undefined) throw error;
      if (clause.variable !== undefined) this.locals.set(clause.variable, new RubyException(error.rubyClass, error.message));
      return this.body(clause.body);
    } finally {
      this.body(ensureBody);
    }
  }

  // ---- calls --------------------------------------------------------------------------------

  private call(recvExpr: Expr | null, name: string, argExprs: readonly Expr[], safe: boolean): unknown {
    if (recvExpr === null) return this.callFunction(name, argExprs.map((a) => this.eval(a)));
    const recv = this.eval(recvExpr);
    if (safe && recv === null) return null;
    const args = argExprs.map((a) => this.eval(a));
    if (recv === ENV_OBJECT) return this.callEnv(name, args);
    if (recv === FILE_CLASS) return this.callFile(name, args);
    if (recv === DOTENV_MODULE) return this.callDotenv(name, args);
    const result = callValueMethod(recv, name, args);
    if (result === NO_METHOD) throw noMethod(recv, name, recv === null ? nilHint(recvExpr) : undefined);
    return result;
  }

  private callFunction(name: string, args: unknown[]): unknown {
    if (name === "require") {
      arity(args, 1, 1);
      const library = stringArgument(args[0]);
      if (!REQUIRABLE.has(library)) {
        const hint = `only ${[...REQUIRABLE].join(", ")} can be required in deploy-file ERB`;
        throw new RubyError("LoadError", `cannot load such file -- ${library}`, hint);
      }
      return true;
    }
    arity(args, 0, 1);
    throw new RubyError("RuntimeError", args.length === 0 ? "unhandled exception" : rubyToS(args[0]));
  }

  private callEnv(name: string, args: unknown[]): unknown {
    if (name === "fetch") {
      arity(args, 1, 2);
      const key = stringArgument(args[0]);
      const value = this.runtime.env[key];
      if (value !== undefined) return value;
      if (args.length === 2) return args[1];
      throw new RubyError("KeyError", `key not found: ${JSON.stringify(key)}`, `${key} is not set: export it (or give ENV.fetch a default)`);
    }
    arity(args, 1, 1);
    return this.runtime.env[stringArgument(args[0])] !== undefined;
  }

  private callFile(name: string, args: unknown[]): unknown {
    arity(args, 1, 1);
    const given = stringArgument(args[0]);
    const absolute = path.resolve(this.runtime.cwd, given);
    if (name === "exist?") return this.runtime.fileExists(absolute);
    try {
      return this.runtime.readFile(absolute);
    } catch (error) {
      throw fileError(error, given, this.runtime.cwd);
    }
  }

  private callDotenv(_name: string, args: unknown[]): unknown {
    const files = args.length === 0 ? [".env"] : args.map(stringArgument);
    const loaded = new Map<unknown, unknown>();
    for (const file of files) {
      const absolute = path.resolve(this.runtime.cwd, file);
      if (!this.runtime.fileExists(absolute)) continue;
      let text: string;
      try {
        text = this.runtime.readFile(absolute);
      } catch (error) {
        throw fileError(error, file, this.runtime.cwd);
      }
      const env = this.runtime.env;
      const pairs = parseDotenv(text, { lookup: (key) => env[key], exec: (command) => this.runtime.exec(command) });
      for (const [key, value] of pairs) {
        if (env[key] === undefined) env[key] = value;
        loaded.set(key, value);
      }
    }
    return loaded;
  }

  private index(recv: unknown, args: unknown[], recvExpr: Expr): unknown {
    if (recv === ENV_OBJECT) {
      arity(args, 1, 1);
      return this.runtime.env[stringArgument(args[0])] ?? null;
    }
    const result = callValueMethod(recv, "[]", args);
    if (result === NO_METHOD) throw noMethod(recv, "[]", recv === null ? nilHint(recvExpr) : undefined);
    return result;
  }
}

// ---- values -------------------------------------------------------------------------------

const NO_METHOD = Symbol("no method");

function truthy(value: unknown): boolean {
  return value !== null && value !== false && value !== undefined;
}

function isNumeric(value: unknown): value is number | RubyFloat {
  return typeof value === "number" || value instanceof RubyFloat;
}

function className(value: unknown): string {
  if (value === null || value === undefined) return "NilClass";
  if (value === true) return "TrueClass";
  if (value === false) return "FalseClass";
  if (typeof value === "string") return "String";
  if (typeof value === "number" || typeof value === "bigint") return "Integer";
  if (value instanceof RubyFloat) return "Float";
  if (value instanceof RubySymbol) return "Symbol";
  if (value instanceof RubyRegexp) return "Regexp";
  if (value instanceof RubyException) return value.rubyClass;
  if (Array.isArray(value)) return "Array";
  if (value instanceof Map) return "Hash";
  return "Object";
}

function describeReceiver(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (value === true || value === false) return String(value);
  if (value instanceof RubyModule) return value.description;
  return `an instance of ${className(value)}`;
}

function noMethod(recv: unknown, name: string, hint?: string): RubyError {
  return new RubyError("NoMethodError", `undefined method \`${name}' for ${describeReceiver(recv)}`, hint);
}

/** Names the nil receiver in the hint, e.g. "ENV['SERVER_IP'] is not set". */
function nilHint(recvExpr: Expr): string {
  if (recvExpr.k === "index" && recvExpr.recv.k === "const" && recvExpr.recv.name === "ENV") {
    const key = recvExpr.args[0];
    if (key?.k === "str" && key.parts.every((p) => typeof p === "string")) return `ENV['${key.parts.join("")}'] is not set`;
    return "that ENV variable is not set";
  }
  if (recvExpr.k === "lvar") return `\`${recvExpr.name}\` is nil here`;
  if (recvExpr.k === "call") return `\`${recvExpr.name}\` returned nil`;
  return "the value is nil here";
}

function conversionError(value: unknown, target: string): RubyError {
  const shown = value === null ? "nil" : value === true ? "true" : value === false ? "false" : className(value);
  return new RubyError("TypeError", `no implicit conversion of ${shown} into ${target}`);
}

function stringArgument(value: unknown): string {
  if (typeof value === "string") return value;
  throw conversionError(value, "String");
}

function integerArgument(value: unknown): number {
  if (typeof value === "number") return value;
  if (value instanceof RubyFloat) return Math.trunc(value.value);
  throw conversionError(value, "Integer");
}

function arity(args: readonly unknown[], min: number, max: number): void {
  if (args.length >= min && args.length <= max) return;
  const expected = min === max ? String(min) : `${min}..${max}`;
  throw new RubyError("ArgumentError", `wrong number of arguments (given ${args.length}, expected ${expected})`);
}

function fileError(error: unknown, given: string, cwd: string): RubyError {
  const code = (error as { code?: unknown }).code;
  const hint = `paths are relative to ${cwd}`;
  if (code === "ENOENT") return new RubyError("Errno::ENOENT", `No such file or directory @ rb_sysopen - ${given}`, hint);
  if (code === "EISDIR") return new RubyError("Errno::EISDIR", `Is a directory @ io_fread - ${given}`, hint);
  if (code === "EACCES") return new RubyError("Errno::EACCES", `Permission denied @ rb_sysopen - ${given}`, hint);
  return new RubyError("IOError", `${given}: ${(error as Error).message}`, hint);
}

function negate(value: unknown): unknown {
  if (typeof value === "number") return -value;
  if (value instanceof RubyFloat) return new RubyFloat(-value.value);
  throw noMethod(value, "-@");
}

function rubyEqual(a: unknown, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b)) return Number(a.valueOf()) === Number(b.valueOf());
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => rubyEqual(x, b[i]));
  if (a instanceof Map && b instanceof Map) {
    return a.size === b.size && [...a.entries()].every(([k, v]) => b.has(k) && rubyEqual(v, b.get(k)));
  }
  return a === b;
}

function binary(op: BinaryOp, left: unknown, right: unknown): unknown {
  if (op === "==") return rubyEqual(left, right);
  if (op === "!=") return !rubyEqual(left, right);
  if (typeof left === "string") return stringOperator(op, left, right);
  if (Array.isArray(left) && op === "+") {
    if (!Array.isArray(right)) throw conversionError(right, "Array");
    return [...left, ...right];
  }
  if (isNumeric(left)) return numericOperator(op, left, right);
  throw noMethod(left, op);
}

function stringOperator(op: BinaryOp, left: string, right: unknown): unknown {
  if (op === "+") return left + stringArgument(right);
  if (op === "*") {
    const times = Math.max(0, integerArgument(right));
    checkStringLength(left.length * times);
    return left.repeat(times);
  }
  if (op === "<" || op === "<=" || op === ">" || op === ">=") {
    if (typeof right !== "string") throw new RubyError("ArgumentError", `comparison of String with ${describeOperand(right)} failed`);
    return compare(op, left < right ? -1 : left > right ? 1 : 0);
  }
  throw noMethod(left, op);
}

function numericOperator(op: BinaryOp, left: number | RubyFloat, right: unknown): unknown {
  if (!isNumeric(right)) {
    if (op === "<" || op === "<=" || op === ">" || op === ">=") {
      throw new RubyError("ArgumentError", `comparison of ${className(left)} with ${describeOperand(right)} failed`);
    }
    throw new RubyError("TypeError", `${right === null ? "nil" : className(right)} can't be coerced into ${className(left)}`);
  }
  const a = Number(left.valueOf());
  const b = Number(right.valueOf());
  const float = left instanceof RubyFloat || right instanceof RubyFloat;
  const result = (value: number): unknown => (float ? new RubyFloat(value) : value);
  switch (op) {
    case "+":
      return result(a + b);
    case "-":
      return result(a - b);
    case "*":
      return result(a * b);
    case "/":
      if (float) return new RubyFloat(a / b);
      if (b === 0) throw new RubyError("ZeroDivisionError", "divided by 0");
      return Math.floor(a / b);
    case "%":
      if (!float && b === 0) throw new RubyError("ZeroDivisionError", "divided by 0");
      return result(a - b * Math.floor(a / b));
    default:
      return compare(op, a < b ? -1 : a > b ? 1 : 0);
  }
}

function describeOperand(value: unknown): string {
  return value === null ? "nil" : typeof value === "boolean" ? String(value) : className(value);
}

function compare(op: BinaryOp, order: number): boolean {
  if (op === "<") return order < 0;
  if (op === "<=") return order <= 0;
  if (op === ">") return order > 0;
  return order >= 0;
}

// ---- methods on values ----------------------------------------------------------------------

type Method<T> = (recv: T, args: unknown[]) => unknown;

/** [min, max] arguments per method, checked once the receiver is known to have the method. */
const ARITY: Readonly<Record<string, readonly [number, number]>> = {
  to_s: [0, 0], inspect: [0, 0], "nil?": [0, 0], to_json: [0, 1], to_i: [0, 1], to_f: [0, 0],
  strip: [0, 0], lstrip: [0, 0], rstrip: [0, 0], chomp: [0, 1], "empty?": [0, 0], upcase: [0, 0],
  downcase: [0, 0], length: [0, 0], size: [0, 0], tr: [2, 2], gsub: [2, 2], sub: [2, 2], split: [0, 1],
  "include?": [1, 1], "start_with?": [0, Infinity], "end_with?": [0, Infinity], "[]": [1, 2],
  join: [0, 1], first: [0, 1], last: [0, 1], fetch: [1, 2], "key?": [1, 1],
};

const ANY_METHODS: Readonly<Record<string, Method<unknown>>> = {
  to_s: (recv) => rubyToS(recv),
  inspect: (recv) => inspect(recv),
  "nil?": (recv) => recv === null,
  to_json: (recv) => toJson(recv),
};

const NIL_METHODS: Readonly<Record<string, Method<null>>> = {
  to_i: () => 0,
  to_f: () => new RubyFloat(0),
};

// Ruby's String#strip whitespace. The strips below are loops, not `[…]+$` regexes: V8 backtracks
// those in time quadratic in the length of a long inner run of spaces, and a signal cannot
// interrupt a running regex.
const RUBY_SPACE = new Set(["\0", "\t", "\n", "\v", "\f", "\r", " "]);

function lstrip(s: string): string {
  let start = 0;
  while (start < s.length && RUBY_SPACE.has(s[start]!)) start++;
  return s.slice(start);
}

function rstrip(s: string): string {
  let end = s.length;
  while (end > 0 && RUBY_SPACE.has(s[end - 1]!)) end--;
  return s.slice(0, end);
}

const STRING_METHODS: Readonly<Record<string, Method<string>>> = {
  strip: (s) => lstrip(rstrip(s)),
  lstrip: (s) => lstrip(s),
  rstrip: (s) => rstrip(s),
  chomp: (s, args) => chomp(s, args[0]),
  to_i: (s) => stringToI(s),
  to_f: (s) => stringToF(s),
  "empty?": (s) => s === "",
  upcase: (s) => s.toUpperCase(),
  downcase: (s) => s.toLowerCase(),
  length: (s) => [...s].length,
  size: (s) => [...s].length,
  tr: (s, [from, to]) => translate(s, stringArgument(from), stringArgument(to)),
  gsub: (s, [pattern, replacement]) => substitute(s, pattern, stringArgument(replacement), true),
  sub: (s, [pattern, replacement]) => substitute(s, pattern, stringArgument(replacement), false),
  split: (s, [separator]) => split(s, separator ?? null),
  "include?": (s, [part]) => s.includes(stringArgument(part)),
  "start_with?": (s, prefixes) => prefixes.map(stringArgument).some((prefix) => s.startsWith(prefix)),
  "end_with?": (s, suffixes) => suffixes.map(stringArgument).some((suffix) => s.endsWith(suffix)),
  "[]": (s, args) => stringIndex(s, args),
};

const NUMERIC_METHODS: Readonly<Record<string, Method<number | RubyFloat>>> = {
  to_i: (n) => {
    const value = Number(n.valueOf());
    if (!Number.isFinite(value)) throw new RubyError("FloatDomainError", formatRubyFloat(value));
    return Math.trunc(value);
  },
  to_f: (n) => new RubyFloat(Number(n.valueOf())),
};

const ARRAY_METHODS: Readonly<Record<string, Method<unknown[]>>> = {
  join: (list, [separator]) => joinArray(list, separator === undefined || separator === null ? "" : stringArgument(separator)),
  first: (list, args) => (args.length === 0 ? (list[0] ?? null) : list.slice(0, count(args[0]))),
  last: (list, args) => (args.length === 0 ? (list[list.length - 1] ?? null) : list.slice(Math.max(0, list.length - count(args[0])))),
  length: (list) => list.length,
  size: (list) => list.length,
  "empty?": (list) => list.length === 0,
  "include?": (list, [item]) => list.some((element) => rubyEqual(element, item)),
  "[]": (list, args) => arrayIndex(list, args),
};

const HASH_METHODS: Readonly<Record<string, Method<Map<unknown, unknown>>>> = {
  "[]": (hash, [key]) => (hash.has(hashKey(key)) ? hash.get(hashKey(key)) : null),
  fetch: (hash, args) => {
    if (hash.has(hashKey(args[0]))) return hash.get(hashKey(args[0]));
    if (args.length === 2) return args[1];
    throw new RubyError("KeyError", `key not found: ${inspect(args[0])}`);
  },
  "key?": (hash, [key]) => hash.has(hashKey(key)),
  "empty?": (hash) => hash.size === 0,
  length: (hash) => hash.size,
  size: (hash) => hash.size,
};

/** Calls a method on a plain value; NO_METHOD when Ruby would raise NoMethodError. */
function callValueMethod(recv: unknown, name: string, args: unknown[]): unknown {
  const method = findMethod(recv, name);
  if (method === undefined) return NO_METHOD;
  const [min, max] = ARITY[name] ?? [0, Infinity];
  arity(args, min, max);
  return method(recv, args);
}

function findMethod(recv: unknown, name: string): Method<unknown> | undefined {
  const table: Readonly<Record<string, Method<never>>> | undefined =
    recv === null
      ? NIL_METHODS
      : typeof recv === "string"
        ? STRING_METHODS
        : isNumeric(recv)
          ? NUMERIC_METHODS
          : Array.isArray(recv)
            ? ARRAY_METHODS
            : recv instanceof Map
              ? HASH_METHODS
              : undefined;
  return (ANY_METHODS[name] ?? (table && Object.hasOwn(table, name) ? table[name] : undefined)) as Method<unknown> | undefined;
}

/** Symbols are interned, numbers and strings compare by value: all usable as Map keys. */
function hashKey(key: unknown): unknown {
  return key instanceof RubyFloat ? key.value : key;
}

function count(value: unknown): number {
  const n = integerArgument(value);
  if (n < 0) throw new RubyError("ArgumentError", "negative array size");
  return n;
}

function arrayIndex(list: unknown[], args: unknown[]): unknown {
  const start = integerArgument(args[0]);
  const from = start < 0 ? list.length + start : start;
  if (args.length === 1) return list[from] ?? null;
  if (from < 0 || from > list.length) return null;
  return list.slice(from, from + integerArgument(args[1]));
}

function inspect(value: unknown): string {
  if (value instanceof RubyRegexp) return `/${value.source}/${value.flags}`;
  if (value instanceof RubyException) return `#<${value.rubyClass}: ${value.message}>`;
  return rubyInspect(value);
}

/** Ruby's JSON generator: compact, `1.0` for floats, strings escaped like JSON.stringify does. */
function toJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean" || typeof value === "number" || typeof value === "bigint") return rubyToS(value);
  if (value instanceof RubyFloat) {
    if (!Number.isFinite(value.value)) throw new RubyError("JSON::GeneratorError", `${formatRubyFloat(value.value)} not allowed in JSON`);
    return formatRubyFloat(value.value);
  }
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  if (value instanceof Map) return `{${[...value.entries()].map(([k, v]) => `${JSON.stringify(rubyToS(k))}:${toJson(v)}`).join(",")}}`;
  return JSON.stringify(rubyToS(value));
}

function chomp(s: string, suffixArg: unknown): string {
  if (suffixArg === undefined || suffixArg === "\n") return s.replace(/(\r\n|\n|\r)$/, "");
  if (suffixArg === null) return s;
  const suffix = stringArgument(suffixArg);
  if (suffix === "") {
    // Every trailing "\n" or "\r\n", as (\r?\n)+$ would, without its quadratic backtracking.
    let end = s.length;
    while (s[end - 1] === "\n") end -= s[end - 2] === "\r" ? 2 : 1;
    return s.slice(0, end);
  }
  return s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
}

function stringToI(s: string): number {
  const match = /^[\t\n\v\f\r ]*([-+]?)(\d+(?:_\d+)*)/.exec(s);
  if (!match) return 0;
  const value = Number((match[2] ?? "0").replace(/_/g, ""));
  return match[1] === "-" ? -value : value;
}

function stringToF(s: string): RubyFloat {
  const match = /^[\t\n\v\f\r ]*[-+]?(\d+(?:_\d+)*)?(\.\d+(?:_\d+)*)?([eE][-+]?\d+)?/.exec(s);
  const text = match?.[0].replace(/_/g, "").trim() ?? "";
  const hasDigits = match?.[1] !== undefined || match?.[2] !== undefined;
  return new RubyFloat(hasDigits ? Number(text) : 0);
}

/** String#tr with ranges (a-z), negation (^…) and padding of a short replacement set. */
function translate(s: string, from: string, to: string): string {
  const negate = from.length > 1 && from.startsWith("^");
  const fromSet = expandTrSet(negate ? from.slice(1) : from);
  const toSet = expandTrSet(to);
  return [...s]
    .map((ch) => {
      const at = fromSet.indexOf(ch);
      const matched = negate ? at === -1 : at !== -1;
      if (!matched) return ch;
      if (toSet.length === 0) return "";
      return negate ? toSet[toSet.length - 1]! : (toSet[Math.min(at, toSet.length - 1)] ?? ch);
    })
    .join("");
}

function expandTrSet(set: string): string[] {
  const chars = [...set];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === "\\" && i + 1 < chars.length) {
      out.push(chars[++i]!);
    } else if (chars[i + 1] === "-" && i + 2 < chars.length) {
      const end = chars[i + 2]!.codePointAt(0)!;
      for (let c = ch.codePointAt(0)!; c <= end; c++) out.push(String.fromCodePoint(c));
      i += 2;
    } else {
      out.push(ch);
    }
  }
  return out;
}

/** String#sub/gsub with a string or regexp pattern and Ruby's `\1`, `\0`, `\&` in the replacement. */
function substitute(s: string, pattern: unknown, replacement: string, global: boolean): string {
  const regexp = pattern instanceof RubyRegexp ? pattern.pattern : literalRegexp(stringArgument(pattern));
  const out: string[] = [];
  let length = 0;
  let last = 0;
  const append = (piece: string): void => {
    length += piece.length;
    checkStringLength(length);
    out.push(piece);
  };
  for (const { index, end, groups } of matchesOf(regexp, s, global)) {
    append(s.slice(last, index));
    append(
      replacement.replace(/\\(\d|&|`|'|\\)/g, (_m, ref: string) => {
        if (ref === "&") return groups[0] ?? "";
        if (ref === "`") return s.slice(0, index);
        if (ref === "'") return s.slice(end);
        if (ref === "\\") return "\\";
        return groups[Number(ref)] ?? "";
      }),
    );
    last = end;
  }
  append(s.slice(last));
  return out.join("");
}

function split(s: string, separator: unknown): string[] {
  let parts: string[];
  if (separator === null || separator === " ") {
    parts = s.replace(/^[\t\n\v\f\r ]+/, "").split(/[\t\n\v\f\r ]+/);
  } else if (separator instanceof RubyRegexp) {
    parts = splitByRegexp(s, separator.pattern);
  } else {
    const text = stringArgument(separator);
    parts = text === "" ? [...s] : s.split(text);
  }
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** Pieces between matches, with the captured groups in between (an empty match at either end splits nothing). */
function splitByRegexp(s: string, regexp: RE2JS): string[] {
  const parts: string[] = [];
  let last = 0;
  for (const { index, end, groups } of matchesOf(regexp, s, true)) {
    if (end === index && (index === 0 || index === s.length)) continue;
    parts.push(s.slice(last, index), ...groups.slice(1).map((g) => g ?? ""));
    last = end;
  }
  parts.push(s.slice(last));
  return parts;
}

function stringIndex(s: string, args: unknown[]): unknown {
  if (typeof args[0] === "string") return s.includes(args[0]) ? args[0] : null;
  const chars = [...s];
  const start = integerArgument(args[0]);
  const from = start < 0 ? chars.length + start : start;
  if (args.length === 1) return chars[from] ?? null;
  if (from < 0 || from > chars.length) return null;
  return chars.slice(from, from + integerArgument(args[1])).join("");
}

function joinArray(list: unknown[], separator: string): string {
  return list.map((item) => (Array.isArray(item) ? joinArray(item, separator) : rubyToS(item))).join(separator);
}
