// Psych's ScalarScanner#tokenize (psych 5, Ruby 3.3), ported branch by branch: how Ruby types
// an unquoted, untagged YAML scalar. Psych is YAML 1.1-flavoured but not the YAML 1.1 schema:
// `y`/`n` stay strings, `1e3` stays a string, `1,000` is an integer, `1:20` is base 60.
// The branch order below is Psych's; it matters (e.g. the word check runs before numbers).

import { RubyFloat } from "./ruby-values.js";

/** What a plain scalar resolves to; `invalid` marks text Psych itself fails on. */
export type PlainScalar =
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "invalid"; readonly message: string };

// Strings that start like a word; only the short ones can be booleans or null.
const WORD_LIKE = /^[^\d.:-]?[\p{Alphabetic}_ \t\r\n\f\v!@#$%^&*(){}<>|/\\~;=]+/mu;
const TIME =
  /^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$/;
const DATE = /^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$/;
const FLOAT = /^[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?$/;
// Psych's INTEGER_LEGACY (the default: strict_integer is false), which also allows commas.
const INTEGER = /^(?:[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+)$/;
const SEXAGESIMAL_INT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/;
const SEXAGESIMAL_FLOAT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$/;

const value = (v: unknown): PlainScalar => ({ kind: "value", value: v });

/** Types an unquoted scalar exactly as Psych does; dates and times come back as their `to_s`. */
export function resolvePlainScalar(text: string): PlainScalar {
  if (text === "") return value(null);
  if (WORD_LIKE.test(text) || text.includes("\n")) return value(resolveWord(text));
  if (TIME.test(text)) return value(parseTime(text) ?? text);
  if (DATE.test(text)) return value(parseDate(text) ?? text);
  if (/^\+?\.inf$/i.test(text)) return value(new RubyFloat(Infinity));
  if (/^-\.inf$/i.test(text)) return value(new RubyFloat(-Infinity));
  if (/^\.nan$/i.test(text)) return value(new RubyFloat(NaN));
  // Symbols (`:name`): we read them as their name, which is what `to_s` would give anyway.
  if (/^:./.test(text)) return value(symbolName(text));
  if (SEXAGESIMAL_INT.test(text)) return value(sexagesimal(text, (part) => rubyStringToI(part)));
  if (SEXAGESIMAL_FLOAT.test(text)) return value(new RubyFloat(sexagesimal(text, (part) => Number(part.replace(/_/g, "")))));
  if (FLOAT.test(text)) {
    if (/^[-+]?\.$/.test(text)) return value(text);
    return value(new RubyFloat(Number(text.replace(/[,_]/g, "").replace(/\.([Ee]|$)/, "$1"))));
  }
  if (INTEGER.test(text)) return parseInteger(text.replace(/[,_]/g, ""));
  return value(text);
}

/** Short words may be null or booleans; `y`, `n` and anything over 5 characters stay strings. */
function resolveWord(text: string): unknown {
  if ([...text].length > 5) return text;
  if (/^[^ytonf~]/im.test(text)) return text;
  if (text === "~" || /^null$/im.test(text)) return null;
  if (/^(yes|true|on)$/im.test(text)) return true;
  if (/^(no|false|off)$/im.test(text)) return false;
  return text;
}

function symbolName(text: string): string {
  const quoted = /^:(["'])(.*)\1/.exec(text);
  return quoted ? (quoted[2] ?? "").replace(/^:/, "") : text.slice(1);
}

/** Psych weighs the parts as 60**|i-2|, so two parts read as hours:minutes (`1:20` is 4800). */
function sexagesimal(text: string, parse: (part: string) => number): number {
  return text.split(":").reduce((sum, part, i) => sum + parse(part) * 60 ** Math.abs(i - 2), 0);
}

/** Ruby's String#to_i for the digit runs a sexagesimal part can hold (sign, digits, underscores). */
function rubyStringToI(part: string): number {
  const match = /^([-+]?)([0-9][0-9_]*)/.exec(part);
  if (!match) return 0;
  const magnitude = Number((match[2] ?? "").replace(/_/g, ""));
  return match[1] === "-" ? -magnitude : magnitude;
}

/** Ruby's Integer(): a leading 0 means octal, 0b binary, 0x hex; big values become bigint. */
function parseInteger(digits: string): PlainScalar {
  const match = /^([-+]?)(0b|0x|0(?=.))?(.*)$/.exec(digits);
  const sign = match?.[1] === "-" ? -1n : 1n;
  const prefix = match?.[2] ?? "";
  const body = match?.[3] ?? "";
  if (body === "") return { kind: "invalid", message: `invalid value for Integer(): ${JSON.stringify(digits)}` };
  const radixPrefix = prefix === "0b" ? "0b" : prefix === "0x" ? "0x" : prefix === "0" ? "0o" : "";
  const big = sign * BigInt(radixPrefix + body);
  const asNumber = Number(big);
  return value(Number.isSafeInteger(asNumber) ? asNumber : big);
}

/** Date.strptime(text, '%Y-%m-%d'): a real calendar date prints as YYYY-MM-DD; others stay text. */
function parseDate(text: string): string | undefined {
  const [year = 0, month = 0, day = 0] = text.split("-").map(Number);
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  return `${String(year).padStart(4, "0")}-${pad2(month)}-${pad2(day)}`;
}

/**
 * Psych's parse_time, rendered as Ruby's Time#to_s: `… UTC` for Z, the given offset when there
 * is one, and local time when there is none (Psych reads the digits as UTC, then shows local).
 */
function parseTime(text: string): string | undefined {
  const [datePart = "", timePart = ""] = splitOnce(text, /[ tT]/);
  const dateMatch = /^(-?\d{4})-(\d{1,2})-(\d{1,2})/.exec(datePart);
  const timeMatch = /(\d+:\d+:\d+)(?:\.(\d*))?\s*(Z|[-+]\d+(:\d\d)?)?/.exec(timePart);
  if (!dateMatch || !timeMatch) return undefined;
  const [year, month, day] = [dateMatch[1], dateMatch[2], dateMatch[3]].map(Number) as [number, number, number];
  const [hour, minute, second] = (timeMatch[1] ?? "").split(":").map(Number) as [number, number, number];
  // Time.utc rejects these (ArgumentError), and Psych then keeps the text.
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return undefined;
  if (hour === 24 && (minute > 0 || second > 0)) return undefined;
  const utcMillis = utcTime(year, month, day, hour, minute, second);
  const zone = timeMatch[3];
  if (zone === "Z") return `${formatClock(new Date(utcMillis), 0)} UTC`;
  if (zone === undefined) {
    const local = new Date(utcMillis);
    const offsetMinutes = -local.getTimezoneOffset();
    return `${formatClock(local, offsetMinutes)} ${formatOffset(offsetMinutes)}`;
  }
  const tz = /^([+-]?\d{1,2}):?(\d{1,2})?$/.exec(zone);
  if (!tz) return undefined;
  const hours = Number(tz[1]);
  const minutes = Number(tz[2] ?? "0");
  // Psych subtracts the minutes only when the hour is negative, so "-00:30" reads as +00:30.
  const offsetMinutes = hours * 60 + (hours < 0 ? -minutes : minutes);
  // Time.new(…, offset): the wall clock stays as written, shown with the given offset.
  return `${formatClock(new Date(utcMillis), 0)} ${formatOffset(offsetMinutes)}`;
}

/** The wall clock at `offsetMinutes` from UTC, as `YYYY-MM-DD HH:MM:SS`. */
function formatClock(instant: Date, offsetMinutes: number): string {
  const shifted = new Date(instant.getTime() + offsetMinutes * 60_000);
  const date = `${String(shifted.getUTCFullYear()).padStart(4, "0")}-${pad2(shifted.getUTCMonth() + 1)}-${pad2(shifted.getUTCDate())}`;
  return `${date} ${pad2(shifted.getUTCHours())}:${pad2(shifted.getUTCMinutes())}:${pad2(shifted.getUTCSeconds())}`;
}

function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcTime(year, month + 1, 0)).getUTCDate();
}

/** Date.UTC without its two-digit-year quirk (years 0-99 would become 19xx). */
function utcTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

function splitOnce(text: string, separator: RegExp): [string, string] {
  const match = separator.exec(text);
  if (!match) return [text, ""];
  return [text.slice(0, match.index), text.slice(match.index + match[0].length)];
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
