// Ruby values as they surface in JS after reading a deploy file, and Ruby's own stringification
// of them. Deploy files are Ruby data: wherever Kamal wants a string it calls `to_s`, so `2.0`
// must become "2.0" (not "2") and `true` must become "true"; this module is the one place
// that knows how.
//
// Representation:
//   Ruby Integer  -> JS number (bigint outside Number.MAX_SAFE_INTEGER, so no digit is lost)
//   Ruby Float    -> RubyFloat (always wrapped, so `1.0` stays distinguishable from `1`)
//   Ruby String   -> JS string;  nil -> null;  true/false -> boolean
//   Ruby Symbol   -> RubySymbol (only the ERB evaluator makes these; YAML symbols are read as strings)
//   Ruby Array    -> JS array;   Ruby Hash -> plain object with string keys (YAML) or Map (ERB)

/** A Ruby Float. Always wrapped so that `to_s` can print `1.0` where Ruby does. */
export class RubyFloat {
  constructor(readonly value: number) {}

  valueOf(): number {
    return this.value;
  }

  toString(): string {
    return formatRubyFloat(this.value);
  }

  toJSON(): number {
    return this.value;
  }
}

/** A Ruby Symbol. Interned, so two symbols with one name are the same object (usable as Map keys). */
export class RubySymbol {
  private static readonly table = new Map<string, RubySymbol>();

  private constructor(readonly name: string) {}

  static for(name: string): RubySymbol {
    let symbol = RubySymbol.table.get(name);
    if (symbol === undefined) {
      symbol = new RubySymbol(name);
      RubySymbol.table.set(name, symbol);
    }
    return symbol;
  }

  toString(): string {
    return this.name;
  }
}

/** `value.to_s` as Ruby 3.3 prints it. */
export function rubyToS(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return formatRubyNumber(value);
  if (value instanceof RubyFloat) return formatRubyFloat(value.value);
  if (value instanceof RubySymbol) return value.name;
  if (Array.isArray(value) || value instanceof Map || isPlainObject(value)) return rubyInspect(value);
  return String(value);
}

/** `value.inspect` as Ruby 3.3 prints it (hashes in the `{"k"=>v}` style of 3.3, not 3.4). */
export function rubyInspect(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return inspectString(value);
  if (value instanceof RubySymbol) return inspectSymbol(value.name);
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(", ")}]`;
  if (value instanceof Map) {
    const pairs = [...value.entries()].map(([k, v]) => `${rubyInspect(k)}=>${rubyInspect(v)}`);
    return `{${pairs.join(", ")}}`;
  }
  if (isPlainObject(value)) {
    const pairs = Object.entries(value).map(([k, v]) => `${inspectString(k)}=>${rubyInspect(v)}`);
    return `{${pairs.join(", ")}}`;
  }
  return rubyToS(value);
}

/** Integers print in decimal; a non-integral JS number can only have come from a float. */
function formatRubyNumber(value: number): string {
  if (!Number.isInteger(value)) return formatRubyFloat(value);
  return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
}

/** Ruby's Float#to_s: shortest round-trip digits, fixed notation for exponents -4 < e <= 16. */
export function formatRubyFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  const [mantissa = "", exponent = "0"] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const decimalPoint = Number(exponent) + 1;
  if (decimalPoint > 0 && decimalPoint <= 16) {
    if (digits.length <= decimalPoint) return `${sign}${digits}${"0".repeat(decimalPoint - digits.length)}.0`;
    return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
  }
  if (decimalPoint <= 0 && decimalPoint > -4) return `${sign}0.${"0".repeat(-decimalPoint)}${digits}`;
  const e = decimalPoint - 1;
  const expText = `${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  return `${sign}${digits[0]}.${digits.slice(1) || "0"}e${expText}`;
}

/** Control characters Ruby's `inspect` and `dump` write by name. */
export const RUBY_CONTROL_ESCAPES: Readonly<Record<string, string>> = {
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\f": "\\f",
  "\v": "\\v",
  "\b": "\\b",
  "\x07": "\\a",
  "\x1b": "\\e",
};

const NAMED_ESCAPES: Record<string, string> = { ...RUBY_CONTROL_ESCAPES, '"': '\\"', "\\": "\\\\" };

function inspectString(text: string): string {
  let out = '"';
  const chars = [...text];
  chars.forEach((ch, i) => {
    const named = NAMED_ESCAPES[ch];
    if (named !== undefined) out += named;
    else if (ch === "#" && ["{", "$", "@"].includes(chars[i + 1] ?? "")) out += "\\#";
    else if (ch < " " || ch === "\x7f") out += `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    else out += ch;
  });
  return `${out}"`;
}

function inspectSymbol(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*[?!=]?$/.test(name) ? `:${name}` : `:${inspectString(name)}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
