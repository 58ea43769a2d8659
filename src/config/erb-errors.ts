// The two ways ERB code can fail, before `erb.ts` turns them into a ConfigError with file and line.

/** Code outside the supported subset (or malformed), found before anything runs. */
export class RubyErbSyntaxError extends Error {
  constructor(
    readonly kind: "unsupported" | "syntax",
    readonly what: string,
    readonly line: number,
  ) {
    super(what);
  }
}

/** A Ruby exception raised while rendering (NoMethodError, KeyError, …); `rescue` can catch it. */
export class RubyError extends Error {
  /** Set by the innermost evaluated node that saw the error go by. */
  line: number | undefined;

  constructor(
    readonly rubyClass: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const SUPERCLASS: Readonly<Record<string, string>> = {
  ScriptError: "Exception",
  StandardError: "Exception",
  NoMemoryError: "Exception",
  LoadError: "ScriptError",
  ArgumentError: "StandardError",
  TypeError: "StandardError",
  NameError: "StandardError",
  NoMethodError: "NameError",
  IndexError: "StandardError",
  KeyError: "IndexError",
  RuntimeError: "StandardError",
  ZeroDivisionError: "StandardError",
  RangeError: "StandardError",
  FloatDomainError: "RangeError",
  RegexpError: "StandardError",
  IOError: "StandardError",
  SystemCallError: "StandardError",
  "Errno::ENOENT": "SystemCallError",
  "Errno::EISDIR": "SystemCallError",
  "Errno::EACCES": "SystemCallError",
  "JSON::ParserError": "StandardError",
  "JSON::GeneratorError": "StandardError",
};

/** Whether an exception of `rubyClass` is caught by `rescue ancestor`. Unknown names never match. */
export function isKindOf(rubyClass: string, ancestor: string): boolean {
  for (let current: string | undefined = rubyClass; current !== undefined; current = SUPERCLASS[current]) {
    if (current === ancestor) return true;
  }
  return false;
}

/** Exception classes `raise Class, "message"` may name. */
export function isExceptionClass(name: string): boolean {
  return name === "Exception" || Object.hasOwn(SUPERCLASS, name);
}
