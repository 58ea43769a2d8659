// Tokenizer for the Ruby subset that deploy-file ERB may use. It knows enough Ruby lexing to
// recognise what it does not support (instance variables, heredocs, `%i[]`, …) and reports
// those with their line instead of mis-reading them.

import { RubyErbSyntaxError } from "./erb-errors.js";

export type TokenType =
  | "int"
  | "float"
  | "string" // "…", '…', %q(), %Q(), %()  (parts hold interpolations)
  | "xstring" // `…`, %x()
  | "symbol"
  | "regexp"
  | "words" // %w[]
  | "ident"
  | "const"
  | "label" // `name:` in a hash or argument list
  | "keyword"
  | "op"
  | "newline"
  | "semi"
  | "sep" // boundary between two ERB tags: Ruby's ERB joins tags with "; "
  | "text" // template text between tags
  | "output_open"
  | "output_close"
  | "eof";

/** A piece of a string literal: literal text, or the tokens of a `#{…}` interpolation. */
export type StringPart = string | { readonly tokens: Token[]; readonly line: number };

export interface Token {
  readonly type: TokenType;
  readonly value: string;
  readonly line: number;
  /** Whitespace directly before the token (decides `foo (x)` vs `foo(x)`, `a [0]` vs `a[0]`). */
  readonly spaceBefore: boolean;
  readonly parts?: readonly StringPart[];
  readonly words?: readonly string[];
  readonly flags?: string;
}

const KEYWORDS = new Set([
  "if", "unless", "elsif", "else", "end", "then", "begin", "rescue", "ensure", "and", "or", "not",
  "nil", "true", "false", "do", "while", "until", "case", "when", "in", "for", "def", "class", "module",
  "yield", "return", "break", "next", "redo", "retry", "super", "self", "alias", "undef", "defined?",
  "BEGIN", "END", "__FILE__", "__LINE__", "__ENCODING__", "__method__", "__dir__",
]);

// Longest first, so `||=` wins over `||` and `|`.
const OPERATORS = [
  "**=", "...", "<=>", "===", "&&=", "||=", "<<=", ">>=",
  "==", "!=", ">=", "<=", "&&", "||", "<<", ">>", "=~", "!~", "=>", "->", "..", "::", "&.",
  "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "**",
  "+", "-", "*", "/", "%", "=", "<", ">", "!", "&", "|", "^", "~", "(", ")", "[", "]", "{", "}",
  ",", ".", "?", ":", ";",
];

const PAIRS: Record<string, string> = { "(": ")", "[": "]", "{": "}", "<": ">" };

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n", t: "\t", s: " ", r: "\r", "0": "\0", e: "\x1b", a: "\x07", b: "\b", f: "\f", v: "\v",
};

/** Tokenizes one tag's code. `line` is the template line the code starts on. */
export function tokenizeRuby(source: string, line: number): Token[] {
  const lexer = new RubyLexer(source, 0, line);
  return lexer.tokenize(false);
}

class RubyLexer {
  private readonly tokens: Token[] = [];
  private spaceBefore = false;
  private braceDepth = 0;

  constructor(
    private readonly src: string,
    public pos: number,
    public line: number,
  ) {}

  /** Reads tokens to the end, or (for `#{…}`) to the `}` that closes the interpolation. */
  tokenize(untilClosingBrace: boolean): Token[] {
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos] ?? "";
      if (ch === " " || ch === "\t" || ch === "\r") {
        this.pos++;
        this.spaceBefore = true;
      } else if (ch === "\\" && this.src[this.pos + 1] === "\n") {
        this.pos += 2;
        this.line++;
        this.spaceBefore = true;
      } else if (ch === "\n") {
        this.push("newline", "\n");
        this.pos++;
        this.line++;
      } else if (ch === "#") {
        while (this.pos < this.src.length && this.src[this.pos] !== "\n") this.pos++;
      } else if (ch === "}" && untilClosingBrace && this.braceDepth === 0) {
        this.pos++;
        return this.tokens;
      } else {
        this.readToken(ch);
      }
    }
    if (untilClosingBrace) throw this.syntaxError("unterminated #{ interpolation");
    return this.tokens;
  }

  private readToken(ch: string): void {
    const next = this.src[this.pos + 1] ?? "";
    if (/[0-9]/.test(ch)) this.readNumber();
    else if (/[a-z_]/.test(ch) || ch > "\x7f") this.readIdentifier();
    else if (/[A-Z]/.test(ch)) this.readConstant();
    else if (ch === '"') this.readQuoted("string", '"', '"', true);
    else if (ch === "'") this.readQuoted("string", "'", "'", false);
    else if (ch === "`") this.readQuoted("xstring", "`", "`", true);
    else if (ch === "@") throw this.unsupported("instance and class variables (@name)");
    else if (ch === "$") throw this.unsupported("global variables ($name)");
    else if (this.valueExpected()) this.readValueStart(ch, next);
    else this.readOperator();
  }

  /** Where a value may start, `%`, `/`, `<<`, `:` and `?` begin literals rather than operators. */
  private readValueStart(ch: string, next: string): void {
    if (ch === "%" && /[qQwWiIxrs({[<|!/]/.test(next)) this.readPercentLiteral();
    else if (ch === "/") this.readRegexp();
    else if (ch === ":" && next === '"') this.readSymbolString();
    else if (ch === ":" && /[A-Za-z_]/.test(next)) this.readSymbol();
    else if (ch === "<" && next === "<" && /[~\-A-Za-z_"']/.test(this.src[this.pos + 2] ?? "")) {
      throw this.unsupported("heredocs (<<~NAME)");
    } else if (ch === "?" && /\S/.test(next)) {
      throw this.unsupported("character literals (?a)");
    } else {
      this.readOperator();
    }
  }

  private push(type: TokenType, value: string, extra: Partial<Token> = {}, line = this.line): void {
    this.tokens.push({ type, value, line, spaceBefore: this.spaceBefore, ...extra });
    this.spaceBefore = false;
  }

  /** After an operator, `(`, `,`, a keyword or line start, `/` and `%` begin literals. */
  private valueExpected(): boolean {
    const prev = this.tokens[this.tokens.length - 1];
    if (prev === undefined) return true;
    if (prev.type === "op") return ![")", "]", "}"].includes(prev.value);
    if (prev.type === "keyword") return !["end", "self", "nil", "true", "false"].includes(prev.value);
    if (["newline", "semi", "label"].includes(prev.type)) return true;
    // `gsub /x/, "y"`: a method name, a space, then no space.
    if (prev.type === "ident" && this.spaceBefore) return !/\s/.test(this.src[this.pos + 1] ?? " ");
    return false;
  }

  private readNumber(): void {
    const rest = this.src.slice(this.pos);
    const radix = /^0[xX][0-9a-fA-F_]+|^0[bB][01_]+|^0[oO][0-7_]+/.exec(rest);
    if (radix) {
      this.pos += radix[0].length;
      const text = radix[0].replace(/_/g, "").toLowerCase();
      this.push("int", String(Number(text.startsWith("0o") ? `0o${text.slice(2)}` : text)));
      return;
    }
    const match = /^\d[\d_]*(\.\d[\d_]*)?([eE][-+]?\d+)?/.exec(rest);
    const text = match?.[0] ?? "";
    this.pos += text.length;
    const clean = text.replace(/_/g, "");
    if (match?.[1] !== undefined || match?.[2] !== undefined) this.push("float", clean);
    else if (/^0\d/.test(clean)) this.push("int", String(parseInt(clean, 8)));
    else this.push("int", clean);
  }

  private readIdentifier(): void {
    const prev = this.tokens[this.tokens.length - 1];
    const afterDot = prev?.type === "op" && (prev.value === "." || prev.value === "&.");
    let name = this.readWord();
    const next = this.src[this.pos];
    const following = this.src[this.pos + 1];
    if ((next === "?" || next === "!") && following !== "=" && !(next === "?" && following === ":")) {
      name += next;
      this.pos++;
    }
    if (!afterDot && this.src[this.pos] === ":" && this.src[this.pos + 1] !== ":" && !/[?!]$/.test(name)) {
      this.pos++;
      this.push("label", name);
      return;
    }
    this.push(!afterDot && KEYWORDS.has(name) ? "keyword" : "ident", name);
  }

  private readConstant(): void {
    const name = this.readWord();
    if (/^__[A-Z]+__$/.test(name)) {
      this.push("keyword", name);
      return;
    }
    this.push("const", name);
  }

  private readWord(): string {
    const start = this.pos;
    while (this.pos < this.src.length && /[A-Za-z0-9_]|[^\x00-\x7f]/.test(this.src[this.pos] ?? "")) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private readSymbol(): void {
    this.pos++;
    let name = this.readWord();
    const next = this.src[this.pos];
    if ((next === "?" || next === "!" || next === "=") && this.src[this.pos + 1] !== "=") {
      name += next;
      this.pos++;
    }
    this.push("symbol", name);
  }

  private readSymbolString(): void {
    const line = this.line;
    this.pos++;
    const parts = this.readStringBody('"', '"', true);
    if (parts.some((p) => typeof p !== "string")) throw this.unsupported("interpolated symbols (:\"…#{}…\")");
    this.push("symbol", parts.join(""), {}, line);
  }

  private readQuoted(type: TokenType, open: string, close: string, interpolate: boolean): void {
    const line = this.line;
    this.pos++;
    const parts = this.readStringBody(open, close, interpolate);
    this.push(type, "", { parts }, line);
  }

  /** Reads up to the closing delimiter (nesting paired ones), handling escapes and `#{…}`. */
  private readStringBody(open: string, close: string, interpolate: boolean): StringPart[] {
    const parts: StringPart[] = [];
    let text = "";
    let depth = 0;
    for (;;) {
      if (this.pos >= this.src.length) throw this.syntaxError(`unterminated string (missing ${close})`);
      const ch = this.src[this.pos] ?? "";
      if (ch === "\\") {
        text += interpolate ? this.readEscape() : this.readRawEscape(open, close);
        continue;
      }
      if (ch === close && depth === 0) {
        this.pos++;
        break;
      }
      if (open !== close && ch === open) depth++;
      if (open !== close && ch === close) depth--;
      if (interpolate && ch === "#" && this.src[this.pos + 1] === "{") {
        if (text !== "") parts.push(text);
        text = "";
        const line = this.line;
        const inner = new RubyLexer(this.src, this.pos + 2, this.line);
        const tokens = inner.tokenize(true);
        this.pos = inner.pos;
        this.line = inner.line;
        parts.push({ tokens, line });
        continue;
      }
      if (interpolate && ch === "#" && /[@$]/.test(this.src[this.pos + 1] ?? "")) {
        throw this.unsupported("#@var / #$var interpolation");
      }
      if (ch === "\n") this.line++;
      text += ch;
      this.pos++;
    }
    if (text !== "" || parts.length === 0) parts.push(text);
    return parts;
  }

  /** Double-quoted escapes: \n \t \s \e \uXXXX \u{…} \xHH \NNN, anything else is itself. */
  private readEscape(): string {
    const next = this.src[this.pos + 1] ?? "";
    this.pos += 2;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined && !(next === "0" && /[0-7]/.test(this.src[this.pos] ?? ""))) return simple;
    if (next === "\n") {
      this.line++;
      return "";
    }
    if (next === "u") {
      const braced = /^\{([0-9a-fA-F\s]+)\}/.exec(this.src.slice(this.pos));
      if (braced) {
        this.pos += braced[0].length;
        return (braced[1] ?? "").trim().split(/\s+/).map((h) => String.fromCodePoint(parseInt(h, 16))).join("");
      }
      const hex = /^[0-9a-fA-F]{4}/.exec(this.src.slice(this.pos));
      if (!hex) throw this.syntaxError("invalid Unicode escape");
      this.pos += 4;
      return String.fromCodePoint(parseInt(hex[0], 16));
    }
    if (next === "x") {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(this.src.slice(this.pos));
      if (!hex) throw this.syntaxError("invalid hex escape");
      this.pos += hex[0].length;
      return String.fromCharCode(parseInt(hex[0], 16));
    }
    if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))?.[0] ?? "";
      this.pos += octal.length;
      return String.fromCharCode(parseInt(next + octal, 8));
    }
    return next;
  }

  /** Single-quoted escapes: only `\\` and the delimiter; any other backslash stays. */
  private readRawEscape(open: string, close: string): string {
    const next = this.src[this.pos + 1] ?? "";
    this.pos += 2;
    if (next === "\\" || next === close || next === open) return next;
    if (next === "\n") this.line++;
    return `\\${next}`;
  }

  private readPercentLiteral(): void {
    const line = this.line;
    let kind = this.src[this.pos + 1] ?? "";
    let delimiterAt = this.pos + 2;
    if (!/[A-Za-z]/.test(kind)) {
      kind = "Q";
      delimiterAt = this.pos + 1;
    }
    if (!["q", "Q", "w", "x"].includes(kind)) throw this.unsupported(`%${kind} literals`);
    const open = this.src[delimiterAt] ?? "";
    const close = PAIRS[open] ?? open;
    this.pos = delimiterAt + 1;
    const interpolate = kind === "Q" || kind === "x";
    const parts = this.readStringBody(open, close, interpolate);
    if (kind === "w") {
      const words = parts.join("").split(/\s+/).filter((w) => w !== "");
      this.push("words", "", { words }, line);
    } else {
      this.push(kind === "x" ? "xstring" : "string", "", { parts }, line);
    }
  }

  private readRegexp(): void {
    const line = this.line;
    this.pos++;
    let source = "";
    let inClass = false;
    for (;;) {
      if (this.pos >= this.src.length) throw this.syntaxError("unterminated regexp");
      const ch = this.src[this.pos] ?? "";
      if (ch === "\\") {
        source += ch + (this.src[this.pos + 1] ?? "");
        this.pos += 2;
        continue;
      }
      if (ch === "#" && this.src[this.pos + 1] === "{") throw this.unsupported("interpolation in regexps");
      if (ch === "[") inClass = true;
      if (ch === "]") inClass = false;
      if (ch === "/" && !inClass) break;
      if (ch === "\n") this.line++;
      source += ch;
      this.pos++;
    }
    this.pos++;
    const flags = /^[a-z]*/.exec(this.src.slice(this.pos))?.[0] ?? "";
    this.pos += flags.length;
    this.push("regexp", source, { flags }, line);
  }

  private readOperator(): void {
    const op = OPERATORS.find((o) => this.src.startsWith(o, this.pos));
    if (op === undefined) throw this.syntaxError(`unexpected character ${JSON.stringify(this.src[this.pos])}`);
    if (op === "{") this.braceDepth++;
    if (op === "}") this.braceDepth--;
    this.pos += op.length;
    this.push(op === ";" ? "semi" : "op", op);
  }

  private unsupported(what: string): RubyErbSyntaxError {
    return new RubyErbSyntaxError("unsupported", what, this.line);
  }

  private syntaxError(what: string): RubyErbSyntaxError {
    return new RubyErbSyntaxError("syntax", what, this.line);
  }
}
