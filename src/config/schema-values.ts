// Building blocks for the configuration schema: zod schemas that accept values the way real
// deploy.yml files write them (Ruby `to_s` for scalars, numeric strings for numbers) and report
// problems in plain words ("should be a string (a host name), got a mapping").
import { z } from "zod";
import { rubyToS } from "./ruby-yaml.js";

/** Returned by a parse step after it has reported its problem. */
export const INVALID: unique symbol = Symbol("invalid");
export type Invalid = typeof INVALID;

/** What the catch-all of a section records about a key it does not know. */
export interface UnknownKeyInfo {
  readonly validKeys: readonly string[];
  /** Keys of the enclosing section, for keys nested one level too deep (accessory `files` under `env`). */
  readonly upKeys?: readonly string[];
  /** Keys that belong one level down, and where, for keys written one level too high. */
  readonly down?: { readonly keys: readonly string[]; readonly where: string };
}

/** Extra fields carried by the issues this module raises (zod `params`). */
export interface IssueParams {
  hint?: string;
  unknownKey?: UnknownKeyInfo;
}

export interface Problem {
  readonly message: string;
  readonly hint?: string;
}

export interface Step {
  /** Reports a problem with this value, or with the entry at `path` inside it. */
  fail(message: string, params?: IssueParams, path?: readonly PropertyKey[]): Invalid;
  /** Parses `value` with `schema`, re-reporting its issues under `path` (relative to this value). */
  sub<T>(schema: z.ZodType<T>, value: unknown, path?: readonly PropertyKey[]): T | Invalid;
}

type ValueKind = "list" | "map" | "null" | "boolean" | "scalar";

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function kindOf(value: unknown): ValueKind {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "list";
  if (isPlainObject(value)) return "map";
  if (typeof value === "boolean") return "boolean";
  return "scalar";
}

/** "a mapping", "the string \"abc\"", … — what a user wrote, for "got …" messages. */
export function describe(value: unknown): string {
  switch (kindOf(value)) {
    case "null":
      return "an empty value";
    case "list":
      return (value as unknown[]).length === 0 ? "an empty list" : "a list";
    case "map":
      return "a mapping";
    case "boolean":
      return String(value);
    case "scalar": {
      if (typeof value === "string") return value === "" ? "an empty string" : `the string ${quote(value)}`;
      const text = rubyToS(value);
      return /^[-+]?(?:\d|Infinity|NaN)/.test(text) ? `the number ${text}` : `the value ${quote(text)}`;
    }
  }
}

export function quote(text: string, max = 60): string {
  const shown = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return JSON.stringify(shown);
}

// ── input shapes ─────────────────────────────────────────────────────────────────────────
// Every schema here parses by hand (custom), so zod cannot see what it accepts. Each building
// block records the input it accepts as a plain zod schema; editor-schema.ts hands that mirror to
// zod's JSON Schema generator.

const inputShapes = new WeakMap<z.ZodType, () => z.ZodType>();
const builtShapes = new WeakMap<z.ZodType, z.ZodType>();

/** Records what `schema` accepts as input, as a plain zod schema built from its parts' input shapes. */
export function accepts<T extends z.ZodType>(schema: T, shape: () => z.ZodType): T {
  inputShapes.set(schema, shape);
  return schema;
}

/** The plain zod schema of what `schema` accepts; unknown input for a hand-written schema nobody described. */
export function inputShape(schema: z.ZodType): z.ZodType {
  const built = builtShapes.get(schema);
  if (built !== undefined) return built;
  const shape = inputShapes.get(schema)?.() ?? nativeInputShape(schema);
  builtShapes.set(schema, shape);
  return shape;
}

function nativeInputShape(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodArray) return z.array(inputShape(schema.element as z.ZodType));
  if (schema instanceof z.ZodOptional) return inputShape(schema.unwrap() as z.ZodType).optional();
  return schema instanceof z.ZodPipe ? z.unknown() : schema;
}

const SCALAR_INPUT = () => z.union([z.string(), z.number(), z.boolean()]);

/** A zod schema whose parsing is written by hand, with issues reported through `Step`. */
export function custom<T>(parse: (value: unknown, step: Step) => T | Invalid): z.ZodType<T> {
  return z.unknown().transform((value, ctx) => {
    let failed = false;
    const step: Step = {
      fail(message, params, path = []) {
        failed = true;
        ctx.addIssue({ code: "custom", message, input: value, path: [...path], ...(params ? { params } : {}) });
        return INVALID;
      },
      sub(schema, inner, path = []) {
        const result = schema.safeParse(inner);
        if (result.success) return result.data;
        failed = true;
        for (const issue of result.error.issues) {
          ctx.addIssue({
            code: "custom",
            message: issue.message,
            input: inner,
            path: [...path, ...issue.path],
            ...(issue.code === "custom" && issue.params ? { params: issue.params } : {}),
          });
        }
        return INVALID;
      },
    };
    const out = parse(value, step);
    return out === INVALID || failed ? z.NEVER : out;
  }) as unknown as z.ZodType<T>;
}

function hintParams(problem: Problem): IssueParams {
  return problem.hint === undefined ? {} : { hint: problem.hint };
}

function expected(what: string | undefined): string {
  return what === undefined ? "" : ` (${what})`;
}

/** A string; numbers, booleans and other scalars are converted as Ruby's `to_s` does. */
export function str(what?: string, check?: (text: string) => Problem | undefined): z.ZodType<string> {
  return accepts(custom((value, step) => {
    const kind = kindOf(value);
    if (kind !== "scalar" && kind !== "boolean") {
      return step.fail(`should be a string${expected(what)}, got ${describe(value)}`);
    }
    const text = typeof value === "string" ? value : rubyToS(value);
    const problem = check?.(text);
    return problem ? step.fail(problem.message, hintParams(problem)) : text;
  }), SCALAR_INPUT);
}

/** A value Ruby would print with `to_s`, where an empty (nil) value prints as "": e.g. an env value or build arg that ERB rendered empty. */
export function strOrEmpty(what?: string): z.ZodType<string> {
  const inner = str(what);
  return accepts(custom((value, step) => (value === null || value === undefined ? "" : step.sub(inner, value))), () => z.union([SCALAR_INPUT(), z.null()]));
}

const INTEGER = /^[+-]?\d+(?:_\d+)*$/;

/** Every whole number in deploy.yml is one of these, so each has a range; the range is decided here. */
const NUMBER_KINDS = {
  port: { what: "a port", min: 1, max: 65535 },
  seconds: { what: "seconds", min: 0, max: undefined },
  count: { what: "a count", min: 0, max: undefined },
  bytes: { what: "bytes", min: 0, max: undefined },
} as const;
export type NumberKind = keyof typeof NUMBER_KINDS;

/** A whole number of the given kind; numeric strings (`"3000"`, Ruby's `10_000_000`) are accepted. */
export function int(kind: NumberKind, options: { min?: number } = {}): z.ZodType<number> {
  const { what, max } = NUMBER_KINDS[kind];
  const min = options.min ?? NUMBER_KINDS[kind].min;
  const shape = () => {
    const whole = z.number().int().min(min);
    return z.union([max === undefined ? whole : whole.max(max), z.string().regex(INTEGER)]);
  };
  return accepts(custom((value, step) => {
    const number = toInteger(value);
    if (number === undefined) return step.fail(`should be a whole number${expected(what)}, got ${describe(value)}`);
    const problem = outOfRange(number, min, max);
    return problem === undefined ? number : step.fail(`${problem}, got ${number}`);
  }), shape);
}

function outOfRange(number: number, min: number, max: number | undefined): string | undefined {
  if (max !== undefined && (number < min || number > max)) return `should be between ${min} and ${max}`;
  if (number < min) return min === 0 ? "should not be negative" : `should be at least ${min}`;
  return undefined;
}

/** A port number written in a string (`"8080"`, `127.0.0.1:5432:5432`); undefined when in range. */
export function portProblem(text: string): string | undefined {
  const number = Number(text);
  return Number.isInteger(number) && number >= NUMBER_KINDS.port.min && number <= NUMBER_KINDS.port.max ? undefined : `port ${text} should be between 1 and 65535`;
}

export function toInteger(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (kindOf(value) !== "scalar") return undefined;
  const text = (typeof value === "string" ? value : rubyToS(value)).trim();
  if (!INTEGER.test(text)) return undefined;
  const number = Number(text.replaceAll("_", ""));
  return Number.isSafeInteger(number) ? number : undefined;
}

export function bool(): z.ZodType<boolean> {
  return accepts(custom((value, step) => (typeof value === "boolean" ? value : step.fail(`should be true or false, got ${describe(value)}`))), () => z.boolean());
}

/**
 * A list. An empty value (`key:` with nothing after it) counts as absent; with `scalarAsOne`,
 * a single scalar counts as a one-element list (MRSK accepts `hosts: 1.2.3.4`).
 */
export function list<T>(
  item: z.ZodType<T>,
  what: string,
  options: { scalarAsOne?: boolean } = {},
): z.ZodType<T[] | undefined> {
  const array = z.array(item);
  const shape = () => {
    const forms: z.ZodType[] = [z.array(inputShape(item)), z.null()];
    if (options.scalarAsOne) forms.push(inputShape(item));
    return z.union(forms).describe(what);
  };
  return accepts(custom((value, step) => {
    const kind = kindOf(value);
    if (kind === "null") return undefined;
    if (kind === "list") return step.sub(array, value);
    if (options.scalarAsOne && kind === "scalar") return step.sub(array, [value]);
    return step.fail(`should be ${what}, got ${describe(value)}`);
  }), shape);
}

/** A mapping with free keys (env names, label names, docker flags); an empty value counts as absent. */
export function mapOf<T>(
  item: z.ZodType<T>,
  what: string,
  options: { checkKey?: (key: string) => Problem | undefined } = {},
): z.ZodType<Record<string, T> | undefined> {
  const shape = () => z.union([z.record(z.string(), inputShape(item)), z.null()]).describe(what);
  return accepts(custom((value, step) => {
    const kind = kindOf(value);
    if (kind === "null") return undefined;
    if (kind !== "map") return step.fail(`should be ${what}, got ${describe(value)}`);
    const out: Record<string, T> = {};
    let ok = true;
    for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
      const problem = options.checkKey?.(key);
      if (problem) {
        ok = false;
        step.fail(problem.message, hintParams(problem), [key]);
        continue;
      }
      const parsed = step.sub(item, entry, [key]);
      if (parsed === INVALID) ok = false;
      else if (parsed !== undefined) out[key] = parsed;
    }
    return ok ? out : INVALID;
  }), shape);
}

type Cases = Partial<Record<ValueKind, z.ZodType>>;

/**
 * Dispatches on the kind of value written (list, mapping, boolean, scalar, empty), so a value
 * that may take several forms is reported against the form the user chose. Booleans fall back
 * to the scalar case when there is no boolean case.
 */
export function oneOf<C extends Cases>(
  cases: C,
  what: string,
): z.ZodType<{ [K in keyof C]: C[K] extends z.ZodType<infer T> ? T : never }[keyof C]> {
  const shape = () => z.union(Object.values(cases).map((schema) => inputShape(schema!))).describe(what);
  return accepts(custom((value, step) => {
    const kind = kindOf(value);
    const schema = cases[kind] ?? (kind === "boolean" ? cases.scalar : undefined);
    if (schema === undefined) return step.fail(`should be ${what}, got ${describe(value)}`);
    return step.sub(schema, value) as { [K in keyof C]: C[K] extends z.ZodType<infer T> ? T : never }[keyof C];
  }), shape);
}

/** Accepts an empty value and keeps it as `null` (a role left for a destination overlay to fill). */
export const keepNull: z.ZodType<null> = accepts(custom(() => null), () => z.null());

type OptionalShape<S extends Record<string, z.ZodType>> = { [K in keyof S]: z.ZodOptional<S[K]> };
export type SectionOutput<S extends Record<string, z.ZodType>> = z.output<z.ZodObject<OptionalShape<S>>>;

export interface SectionMeta {
  /** Said after "should be a mapping": e.g. "the builder settings". */
  readonly what: string;
  readonly upKeys?: () => readonly string[];
  readonly down?: { readonly keys: () => readonly string[]; readonly where: string };
  /** Top level only: keys starting with `x-` hold YAML anchors and are ignored. */
  readonly allowExtensions?: boolean;
}

/**
 * A mapping of known keys, every key optional (required keys are checked after parsing, with a
 * message that says what to add). Keys it does not know are reported one issue each.
 */
export function section<S extends Record<string, z.ZodType>>(shape: S, meta: SectionMeta): z.ZodType<SectionOutput<S>> {
  const optionalShape = Object.fromEntries(Object.entries(shape).map(([key, schema]) => [key, schema.optional()]));
  const validKeys = Object.keys(shape);
  const catchall = custom((_value, step) => {
    const down = meta.down && { keys: meta.down.keys(), where: meta.down.where };
    return step.fail("unknown key", {
      unknownKey: { validKeys, ...(meta.upKeys ? { upKeys: meta.upKeys() } : {}), ...(down ? { down } : {}) },
    });
  });
  const object = z.object(optionalShape).catchall(catchall);
  const inputObject = () => z.strictObject(Object.fromEntries(Object.entries(shape).map(([key, schema]) => [key, inputShape(schema).optional()]))).describe(meta.what);
  return accepts(custom((value, step) => {
    if (kindOf(value) !== "map") return step.fail(`should be a mapping (${meta.what}), got ${describe(value)}`);
    const input = meta.allowExtensions ? withoutExtensions(value as Record<string, unknown>) : value;
    const parsed = step.sub(object, input);
    return parsed === INVALID ? INVALID : (withoutUndefined(parsed) as SectionOutput<S>);
  }), inputObject);
}

/** An empty value (`key:` with nothing after it) counts as the key being absent. */
export function emptyAsAbsent<T>(schema: z.ZodType<T>): z.ZodType<T | undefined> {
  return accepts(custom((value, step) => (kindOf(value) === "null" ? undefined : step.sub(schema, value))), () => z.union([inputShape(schema), z.null()]));
}

/** A section written as a key of another one, where `key:` alone means "not set". */
export function optionalSection<S extends Record<string, z.ZodType>>(
  shape: S,
  meta: SectionMeta,
): z.ZodType<SectionOutput<S> | undefined> {
  return emptyAsAbsent(section(shape, meta));
}

function isExtensionKey(key: string): boolean {
  return key.startsWith("x-");
}

/** Keys given an empty value (`ssh:`) are dropped, so "absent" has one representation. */
function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined));
}

function withoutExtensions(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !isExtensionKey(key)));
}
