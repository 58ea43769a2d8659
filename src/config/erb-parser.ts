// Recursive-descent parser for the ERB Ruby subset. Like Ruby's ERB compiler, the whole template
// becomes one program: template text and `<%= %>` are statements, so `<% if x %>…<% end %>`
// works across tags. Everything outside the subset is rejected here, before any code runs,
// even in branches that would not be taken.

import { isExceptionClass, RubyErbSyntaxError } from "./erb-errors.js";
import { tokenizeRuby, type StringPart, type Token } from "./erb-lexer.js";
import type { ErbSegment } from "./erb-template.js";

export type AssignOp = "=" | "||=" | "&&=" | "+=";
export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "==" | "!=" | "<" | "<=" | ">" | ">=";
export type InterpolatedPart = string | Expr[];

export interface RescueClause {
  readonly classes: readonly string[];
  readonly variable: string | undefined;
  readonly body: readonly Expr[];
}

export type Expr = { readonly line: number } & (
  | { readonly k: "text"; readonly text: string }
  | { readonly k: "output"; readonly body: readonly Expr[] }
  | { readonly k: "nil" }
  | { readonly k: "bool"; readonly value: boolean }
  | { readonly k: "int"; readonly value: number }
  | { readonly k: "float"; readonly value: number }
  | { readonly k: "symbol"; readonly name: string }
  | { readonly k: "str"; readonly parts: readonly InterpolatedPart[] }
  | { readonly k: "xstr"; readonly parts: readonly InterpolatedPart[] }
  | { readonly k: "regexp"; readonly source: string; readonly flags: string }
  | { readonly k: "array"; readonly items: readonly Expr[] }
  | { readonly k: "hash"; readonly pairs: ReadonlyArray<readonly [Expr, Expr]> }
  | { readonly k: "lvar"; readonly name: string }
  | { readonly k: "lasgn"; readonly name: string; readonly op: AssignOp; readonly value: Expr }
  | { readonly k: "iasgn"; readonly recv: Expr; readonly args: readonly Expr[]; readonly op: AssignOp; readonly value: Expr }
  | { readonly k: "const"; readonly name: string }
  | { readonly k: "call"; readonly recv: Expr | null; readonly name: string; readonly args: readonly Expr[]; readonly safe: boolean }
  | { readonly k: "index"; readonly recv: Expr; readonly args: readonly Expr[] }
  | { readonly k: "not"; readonly expr: Expr }
  | { readonly k: "neg"; readonly expr: Expr }
  | { readonly k: "and" | "or"; readonly left: Expr; readonly right: Expr }
  | { readonly k: "binop"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly k: "if"; readonly cond: Expr; readonly then: readonly Expr[]; readonly else: readonly Expr[] }
  | {
      readonly k: "begin";
      readonly body: readonly Expr[];
      readonly rescues: readonly RescueClause[];
      readonly elseBody: readonly Expr[];
      readonly ensureBody: readonly Expr[];
    }
  | { readonly k: "rescueMod"; readonly body: Expr; readonly fallback: Expr }
  | { readonly k: "seq"; readonly body: readonly Expr[] }
  | { readonly k: "raise"; readonly rubyClass: string; readonly message: Expr | null }
);

/** Constants the subset knows, and the methods each one supports. */
const CONSTANT_METHODS: Readonly<Record<string, ReadonlySet<string> | "value">> = {
  ENV: new Set(["fetch", "key?", "has_key?", "include?"]),
  File: new Set(["read", "exist?"]),
  Dotenv: new Set(["load"]),
  RUBY_ENGINE: "value",
  RUBY_ENGINE_VERSION: "value",
  RUBY_VERSION: "value",
};

/** Methods on strings, numbers, arrays, hashes and nil (each checked against the receiver when run). */
const VALUE_METHODS: ReadonlySet<string> = new Set([
  "strip", "lstrip", "rstrip", "chomp", "to_s", "to_i", "to_f", "to_json", "inspect", "empty?", "nil?",
  "upcase", "downcase", "tr", "gsub", "sub", "split", "join", "include?", "start_with?", "end_with?",
  "length", "size", "first", "last", "fetch", "key?",
]);

/** Methods called without a receiver. */
const FUNCTIONS: ReadonlySet<string> = new Set(["require", "raise"]);

const BINARY_LEVELS: ReadonlyArray<ReadonlySet<string>> = [
  new Set(["==", "!="]),
  new Set(["<", "<=", ">", ">="]),
  new Set(["+", "-"]),
  new Set(["*", "/", "%"]),
];
const UNSUPPORTED_OPERATORS = new Set([
  "=~", "!~", "===", "<=>", "..", "...", "**", "<<", ">>", "&", "|", "^", "~", "->", "**=", "<<=", ">>=",
  "-=", "*=", "/=", "%=", "|=", "&=", "^=",
]);
const ASSIGN_OPS = new Set<string>(["=", "||=", "&&=", "+="]);
const STATEMENT_END = new Set(["newline", "semi", "sep", "eof", "output_close"]);

/** Parses the whole template (its segments) into one program. */
export function parseErbProgram(segments: readonly ErbSegment[]): Expr[] {
  const tokens: Token[] = [];
  let lastLine = 1;
  for (const segment of segments) {
    lastLine = segment.line;
    if (segment.kind === "text") {
      tokens.push({ type: "text", value: segment.text, line: segment.line, spaceBefore: false });
    } else if (segment.kind === "code") {
      tokens.push(...tokenizeRuby(segment.code, segment.line));
      tokens.push({ type: "sep", value: ";", line: tokens[tokens.length - 1]?.line ?? segment.line, spaceBefore: false });
    } else {
      tokens.push({ type: "output_open", value: "<%=", line: segment.line, spaceBefore: false });
      tokens.push(...tokenizeRuby(segment.code, segment.line));
      tokens.push({ type: "output_close", value: "%>", line: tokens[tokens.length - 1]?.line ?? segment.line, spaceBefore: false });
    }
  }
  tokens.push({ type: "eof", value: "", line: tokens[tokens.length - 1]?.line ?? lastLine, spaceBefore: false });
  const parser = new Parser(tokens, new Set());
  return parser.program();
}

class Parser {
  private i = 0;

  constructor(
    private readonly tokens: readonly Token[],
    /** Names assigned so far: Ruby decides "local variable or method call" from this, lexically. */
    private readonly locals: Set<string>,
  ) {}

  program(): Expr[] {
    const body = this.statements(new Set());
    const rest = this.peek();
    if (rest.type !== "eof") throw this.unexpected(rest);
    return body;
  }

  // ---- statements -------------------------------------------------------------------------

  private statements(terminators: ReadonlySet<string>): Expr[] {
    const body: Expr[] = [];
    for (;;) {
      this.skipTerms();
      if (this.atTerminator(terminators)) return body;
      const statement = this.statement();
      body.push(statement);
      if (statement.k === "text" || statement.k === "output") continue;
      const next = this.peek();
      if (!STATEMENT_END.has(next.type) && !this.atTerminator(terminators)) throw this.unexpected(next);
    }
  }

  private atTerminator(terminators: ReadonlySet<string>): boolean {
    const t = this.peek();
    if (t.type === "eof" || t.type === "output_close") return true;
    if (t.type === "op" && (t.value === ")" || t.value === "}")) return true;
    return t.type === "keyword" && terminators.has(t.value);
  }

  private statement(): Expr {
    const t = this.peek();
    if (t.type === "text") {
      this.next();
      return { k: "text", text: t.value, line: t.line };
    }
    if (t.type === "output_open") {
      this.next();
      const body = this.statements(new Set());
      this.expect("output_close", "%>");
      return { k: "output", body, line: t.line };
    }
    let expr = this.andOr();
    for (;;) {
      const modifier = this.peek();
      if (modifier.type !== "keyword") return expr;
      if (modifier.value === "if" || modifier.value === "unless") {
        this.next();
        const cond = this.andOr();
        const [then, otherwise] = modifier.value === "if" ? [[expr], []] : [[], [expr]];
        expr = { k: "if", cond, then, else: otherwise, line: modifier.line };
      } else if (modifier.value === "rescue") {
        this.next();
        const fallback = this.andOr();
        // `x = a rescue b` assigns b when a raises: the modifier binds to the right-hand side.
        expr =
          expr.k === "lasgn"
            ? { ...expr, value: { k: "rescueMod", body: expr.value, fallback, line: modifier.line } }
            : { k: "rescueMod", body: expr, fallback, line: modifier.line };
      } else if (modifier.value === "while" || modifier.value === "until") {
        throw this.unsupported(`\`${modifier.value}\` loops`, modifier);
      } else {
        return expr;
      }
    }
  }

  // ---- expressions, lowest precedence first -------------------------------------------------

  private andOr(): Expr {
    let left = this.notExpr();
    for (let t = this.peek(); t.type === "keyword" && (t.value === "and" || t.value === "or"); t = this.peek()) {
      this.next();
      this.skipNewlines();
      left = { k: t.value === "and" ? "and" : "or", left, right: this.notExpr(), line: t.line };
    }
    return left;
  }

  private notExpr(): Expr {
    const t = this.peek();
    if (t.type === "keyword" && t.value === "not") {
      this.next();
      return { k: "not", expr: this.notExpr(), line: t.line };
    }
    return this.expression();
  }

  /** Assignment (right-associative) or a ternary. */
  private expression(): Expr {
    const t = this.peek();
    const op = this.peek(1);
    if (t.type === "ident" && op.type === "op" && ASSIGN_OPS.has(op.value) && !/[?!]$/.test(t.value)) {
      this.next();
      this.next();
      this.locals.add(t.value);
      this.skipNewlines();
      return { k: "lasgn", name: t.value, op: op.value as AssignOp, value: this.expression(), line: t.line };
    }
    const target = this.ternary();
    const after = this.peek();
    if (after.type === "op" && ASSIGN_OPS.has(after.value)) {
      if (target.k !== "index") throw this.unsupported(`assigning with ${after.value} to this target`, after);
      this.next();
      this.skipNewlines();
      const value = this.expression();
      return { k: "iasgn", recv: target.recv, args: target.args, op: after.value as AssignOp, value, line: after.line };
    }
    if (after.type === "op" && UNSUPPORTED_OPERATORS.has(after.value)) throw this.unsupported(`the ${after.value} operator`, after);
    return target;
  }

  private ternary(): Expr {
    const cond = this.orOr();
    const q = this.peek();
    if (q.type !== "op" || q.value !== "?") return cond;
    this.next();
    this.skipNewlines();
    const then = this.ternary();
    this.skipNewlines();
    this.expect("op", ":");
    this.skipNewlines();
    const otherwise = this.ternary();
    return { k: "if", cond, then: [then], else: [otherwise], line: q.line };
  }

  private orOr(): Expr {
    let left = this.andAnd();
    for (let t = this.peek(); t.type === "op" && t.value === "||"; t = this.peek()) {
      this.next();
      this.skipNewlines();
      left = { k: "or", left, right: this.andAnd(), line: t.line };
    }
    return left;
  }

  private andAnd(): Expr {
    let left = this.binary(0);
    for (let t = this.peek(); t.type === "op" && t.value === "&&"; t = this.peek()) {
      this.next();
      this.skipNewlines();
      left = { k: "and", left, right: this.binary(0), line: t.line };
    }
    return left;
  }

  private binary(level: number): Expr {
    const ops = BINARY_LEVELS[level];
    if (ops === undefined) return this.unary();
    let left = this.binary(level + 1);
    for (let t = this.peek(); t.type === "op" && ops.has(t.value); t = this.peek()) {
      this.next();
      this.skipNewlines();
      left = { k: "binop", op: t.value as BinaryOp, left, right: this.binary(level + 1), line: t.line };
    }
    const t = this.peek();
    if (t.type === "op" && UNSUPPORTED_OPERATORS.has(t.value) && !ASSIGN_OPS.has(t.value)) {
      throw this.unsupported(`the ${t.value} operator`, t);
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.type === "op" && t.value === "!") {
      this.next();
      return { k: "not", expr: this.unary(), line: t.line };
    }
    if (t.type === "op" && t.value === "-") {
      this.next();
      return { k: "neg", expr: this.unary(), line: t.line };
    }
    if (t.type === "op" && t.value === "+") {
      this.next();
      return this.unary();
    }
    if (t.type === "op" && (t.value === "*" || t.value === "&" || t.value === "**")) {
      throw this.unsupported(`${t.value} (splat and block arguments)`, t);
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let expr = this.primary();
    for (;;) {
      const t = this.continueChainAcrossNewlines();
      if (t.type === "op" && (t.value === "." || t.value === "&.")) {
        this.next();
        expr = this.methodCall(expr, t.value === "&.");
      } else if (t.type === "op" && t.value === "[" && (!t.spaceBefore || expr.k !== "call")) {
        this.next();
        const args = this.list("]");
        expr = { k: "index", recv: expr, args, line: t.line };
      } else if (t.type === "op" && t.value === "::") {
        throw this.unsupported("`::` constant paths", t);
      } else {
        return expr;
      }
    }
  }

  /** `.name` after a receiver: checks the name against the subset, then reads arguments. */
  private methodCall(recv: Expr, safe: boolean): Expr {
    const nameToken = this.next();
    if (nameToken.type !== "ident" && nameToken.type !== "const") throw this.unexpected(nameToken);
    const name = nameToken.value;
    if (recv.k === "const") {
      const allowed = CONSTANT_METHODS[recv.name];
      if (allowed !== "value" && !allowed?.has(name)) throw this.unsupported(`${recv.name}.${name}`, nameToken);
    }
    if (recv.k !== "const" || CONSTANT_METHODS[recv.name] === "value") {
      if (!VALUE_METHODS.has(name)) throw this.unsupported(`the method \`${name}\``, nameToken);
    }
    const args = this.callArguments();
    return { k: "call", recv, name, args, safe, line: nameToken.line };
  }

  /** `(a, b)` right after the name, or command-style `name a, b` to the end of the statement. */
  private callArguments(): Expr[] {
    const t = this.peek();
    let args: Expr[] = [];
    let parenthesised = false;
    if (t.type === "op" && t.value === "(" && !t.spaceBefore) {
      this.next();
      args = this.list(")");
      parenthesised = true;
    } else if (t.spaceBefore && this.startsCommandArgument(t)) {
      args = this.commandArguments();
    }
    const block = this.peek();
    if (block.type === "keyword" && block.value === "do") throw this.unsupported("blocks (do … end)", block);
    if (block.type === "op" && block.value === "{" && (parenthesised || args.length === 0)) {
      throw this.unsupported("blocks ({ |x| … })", block);
    }
    return args;
  }

  private startsCommandArgument(t: Token): boolean {
    if (["int", "float", "string", "xstring", "symbol", "regexp", "words", "ident", "const", "label"].includes(t.type)) return true;
    if (t.type === "keyword") return ["nil", "true", "false", "not", "self"].includes(t.value);
    return t.type === "op" && (t.value === "(" || t.value === "[" || t.value === "!" || t.value === "->");
  }

  private commandArguments(): Expr[] {
    const args: Expr[] = [];
    const labelled: Array<readonly [Expr, Expr]> = [];
    for (;;) {
      this.argument(args, labelled);
      const comma = this.peek();
      if (comma.type !== "op" || comma.value !== ",") break;
      this.next();
      this.skipNewlines();
    }
    if (labelled.length > 0) args.push({ k: "hash", pairs: labelled, line: labelled[0]![0].line });
    return args;
  }

  /** A comma-separated list up to `close` (arguments, array items, index arguments). */
  private list(close: string): Expr[] {
    const items: Expr[] = [];
    const labelled: Array<readonly [Expr, Expr]> = [];
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (t.type === "op" && t.value === close) break;
      this.argument(items, labelled);
      this.skipNewlines();
      const sep = this.peek();
      if (sep.type === "op" && sep.value === ",") {
        this.next();
        continue;
      }
      if (sep.type !== "op" || sep.value !== close) throw this.unexpected(sep);
    }
    this.expect("op", close);
    if (labelled.length > 0) items.push({ k: "hash", pairs: labelled, line: labelled[0]![0].line });
    return items;
  }

  private argument(args: Expr[], labelled: Array<readonly [Expr, Expr]>): void {
    const t = this.peek();
    if (t.type === "label") {
      this.next();
      this.skipNewlines();
      labelled.push([{ k: "symbol", name: t.value, line: t.line }, this.expression()]);
      return;
    }
    args.push(this.expression());
  }

  // ---- primaries ----------------------------------------------------------------------------

  private primary(): Expr {
    const t = this.next();
    const line = t.line;
    switch (t.type) {
      case "int":
        return { k: "int", value: Number(t.value), line };
      case "float":
        return { k: "float", value: Number(t.value), line };
      case "symbol":
        return { k: "symbol", name: t.value, line };
      case "string":
        return { k: "str", parts: this.interpolation(t.parts ?? []), line };
      case "xstring":
        return { k: "xstr", parts: this.interpolation(t.parts ?? []), line };
      case "words":
        return { k: "array", items: (t.words ?? []).map((w) => ({ k: "str", parts: [w], line }) as Expr), line };
      case "regexp":
        return this.regexp(t);
      case "keyword":
        return this.keywordPrimary(t);
      case "ident":
        return this.identifier(t);
      case "const":
        return this.constant(t);
      case "label":
        throw this.unsupported("hash arguments outside a call or hash literal", t);
      case "op":
        return this.punctuationPrimary(t);
      default:
        throw this.unexpected(t);
    }
  }

  private keywordPrimary(t: Token): Expr {
    switch (t.value) {
      case "nil":
        return { k: "nil", line: t.line };
      case "true":
      case "false":
        return { k: "bool", value: t.value === "true", line: t.line };
      case "if":
        return this.ifExpression(t);
      case "unless":
        return this.unlessExpression(t);
      case "begin":
        return this.beginExpression(t);
      case "do":
        throw this.unsupported("blocks (do … end)", t);
      case "end":
      case "else":
      case "elsif":
      case "then":
      case "rescue":
      case "ensure":
      case "when":
      case "in":
        throw this.unexpected(t);
      default:
        throw this.unsupported(`\`${t.value}\``, t);
    }
  }

  private punctuationPrimary(t: Token): Expr {
    if (t.value === "(") {
      const body = this.statements(new Set());
      this.expect("op", ")");
      return { k: "seq", body, line: t.line };
    }
    if (t.value === "[") return { k: "array", items: this.list("]"), line: t.line };
    if (t.value === "{") return this.hashLiteral(t);
    if (t.value === "->") throw this.unsupported("lambdas (->)", t);
    if (t.value === "::") throw this.unsupported("`::` constant paths", t);
    throw this.unexpected(t);
  }

  private hashLiteral(open: Token): Expr {
    const pairs: Array<readonly [Expr, Expr]> = [];
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (t.type === "op" && t.value === "}") break;
      if (t.type === "label") {
        this.next();
        this.skipNewlines();
        pairs.push([{ k: "symbol", name: t.value, line: t.line }, this.expression()]);
      } else {
        const key = this.expression();
        this.skipNewlines();
        this.expect("op", "=>");
        this.skipNewlines();
        pairs.push([key, this.expression()]);
      }
      this.skipNewlines();
      const sep = this.peek();
      if (sep.type === "op" && sep.value === ",") this.next();
      else if (sep.type !== "op" || sep.value !== "}") throw this.unexpected(sep);
    }
    this.expect("op", "}");
    return { k: "hash", pairs, line: open.line };
  }

  private identifier(t: Token): Expr {
    const next = this.peek();
    const callsWithParens = next.type === "op" && next.value === "(" && !next.spaceBefore;
    if (this.locals.has(t.value) && !callsWithParens) return { k: "lvar", name: t.value, line: t.line };
    if (!FUNCTIONS.has(t.value)) {
      throw this.unsupported(`\`${t.value}\` (not a local variable assigned earlier, nor a supported function)`, t);
    }
    if (t.value === "raise") {
      const raised = this.raiseWithClass(t);
      if (raised !== undefined) return raised;
    }
    return { k: "call", recv: null, name: t.value, args: this.callArguments(), safe: false, line: t.line };
  }

  /** `raise ArgumentError, "message"` (or with parentheses): the form the envify docs taught. */
  private raiseWithClass(t: Token): Expr | undefined {
    const first = this.peek();
    const parenthesised = first.type === "op" && first.value === "(" && !first.spaceBefore;
    const classToken = this.peek(parenthesised ? 1 : 0);
    if (classToken.type !== "const" || (!parenthesised && !first.spaceBefore)) return undefined;
    if (!isExceptionClass(classToken.value)) throw this.unsupported(`the constant ${classToken.value}`, classToken);
    if (parenthesised) this.next();
    this.next();
    let message: Expr | null = null;
    if (this.peek().type === "op" && this.peek().value === ",") {
      this.next();
      this.skipNewlines();
      message = this.expression();
    }
    if (parenthesised) this.expect("op", ")");
    return { k: "raise", rubyClass: classToken.value, message, line: t.line };
  }

  private constant(t: Token): Expr {
    if (CONSTANT_METHODS[t.value] === undefined) throw this.unsupported(`the constant ${t.value}`, t);
    return { k: "const", name: t.value, line: t.line };
  }

  private regexp(t: Token): Expr {
    const flags = t.flags ?? "";
    if (/[^im]/.test(flags)) throw this.unsupported(`regexp flags /${flags}`, t);
    if (/\(\?[>#]|\\[GKRXgk]|\(\?[imx-]+[:)]/.test(t.value)) throw this.unsupported(`this regexp syntax (/${t.value}/)`, t);
    return { k: "regexp", source: t.value, flags, line: t.line };
  }

  private interpolation(parts: readonly StringPart[]): InterpolatedPart[] {
    return parts.map((part) => {
      if (typeof part === "string") return part;
      const inner = new Parser([...part.tokens, { type: "eof", value: "", line: part.line, spaceBefore: false }], this.locals);
      return inner.program();
    });
  }

  private ifExpression(t: Token): Expr {
    const cond = this.condition();
    const then = this.statements(new Set(["elsif", "else", "end"]));
    const branch = this.next();
    if (branch.type === "keyword" && branch.value === "elsif") return { k: "if", cond, then, else: [this.ifExpression(branch)], line: t.line };
    if (branch.type === "keyword" && branch.value === "else") {
      const otherwise = this.statements(new Set(["end"]));
      this.expect("keyword", "end");
      return { k: "if", cond, then, else: otherwise, line: t.line };
    }
    if (branch.type !== "keyword" || branch.value !== "end") throw this.unexpected(branch, "`end`");
    return { k: "if", cond, then, else: [], line: t.line };
  }

  private unlessExpression(t: Token): Expr {
    const cond = this.condition();
    const body = this.statements(new Set(["else", "end"]));
    let otherwise: Expr[] = [];
    if (this.peek().type === "keyword" && this.peek().value === "else") {
      this.next();
      otherwise = this.statements(new Set(["end"]));
    }
    this.expect("keyword", "end");
    return { k: "if", cond, then: otherwise, else: body, line: t.line };
  }

  /** The condition of `if`/`unless`/`elsif`, ended by `then` or a statement separator. */
  private condition(): Expr {
    const cond = this.andOr();
    const t = this.peek();
    if (t.type === "keyword" && t.value === "then") this.next();
    else if (!STATEMENT_END.has(t.type)) throw this.unexpected(t);
    return cond;
  }

  private beginExpression(t: Token): Expr {
    const clauseEnds = new Set(["rescue", "else", "ensure", "end"]);
    const body = this.statements(clauseEnds);
    const rescues: RescueClause[] = [];
    while (this.peek().type === "keyword" && this.peek().value === "rescue") {
      this.next();
      const classes = this.rescueClasses();
      let variable: string | undefined;
      const arrow = this.peek();
      if (arrow.type === "op" && arrow.value === "=>") {
        this.next();
        const name = this.next();
        if (name.type !== "ident") throw this.unexpected(name);
        variable = name.value;
        this.locals.add(variable);
      }
      if (this.peek().type === "keyword" && this.peek().value === "then") this.next();
      rescues.push({ classes, variable, body: this.statements(clauseEnds) });
    }
    let elseBody: Expr[] = [];
    if (this.peek().type === "keyword" && this.peek().value === "else") {
      this.next();
      elseBody = this.statements(new Set(["ensure", "end"]));
    }
    let ensureBody: Expr[] = [];
    if (this.peek().type === "keyword" && this.peek().value === "ensure") {
      this.next();
      ensureBody = this.statements(new Set(["end"]));
    }
    this.expect("keyword", "end");
    return { k: "begin", body, rescues, elseBody, ensureBody, line: t.line };
  }

  /** `rescue A, B::C`: exception class names (any name; unknown ones never match). */
  private rescueClasses(): string[] {
    const classes: string[] = [];
    while (this.peek().type === "const") {
      let name = this.next().value;
      while (this.peek().type === "op" && this.peek().value === "::") {
        this.next();
        const part = this.next();
        if (part.type !== "const") throw this.unexpected(part);
        name += `::${part.value}`;
      }
      classes.push(name);
      if (this.peek().type !== "op" || this.peek().value !== ",") break;
      this.next();
      this.skipNewlines();
    }
    return classes;
  }

  // ---- token helpers ------------------------------------------------------------------------

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  /** A method chain may continue on the next line when that line starts with `.`. */
  private continueChainAcrossNewlines(): Token {
    let j = 0;
    while (this.peek(j).type === "newline") j++;
    const t = this.peek(j);
    if (j > 0 && t.type === "op" && (t.value === "." || t.value === "&.")) this.i += j;
    return this.peek();
  }

  private skipNewlines(): void {
    while (this.peek().type === "newline") this.next();
  }

  private skipTerms(): void {
    while (["newline", "semi", "sep"].includes(this.peek().type)) this.next();
  }

  private expect(type: Token["type"], value: string): Token {
    const t = this.peek();
    if (t.type !== type || t.value !== value) throw this.unexpected(t, `\`${value}\``);
    return this.next();
  }

  private unexpected(t: Token, wanted?: string): RubyErbSyntaxError {
    const found = describeToken(t);
    return new RubyErbSyntaxError("syntax", `unexpected ${found}${wanted ? `, expected ${wanted}` : ""}`, t.line);
  }

  private unsupported(what: string, t: Token): RubyErbSyntaxError {
    return new RubyErbSyntaxError("unsupported", what, t.line);
  }
}

function describeToken(t: Token): string {
  switch (t.type) {
    case "eof":
      return "end of template";
    case "sep":
    case "output_close":
      return "end of ERB tag";
    case "newline":
      return "end of line";
    case "text":
      return "template text";
    case "string":
    case "xstring":
      return "string literal";
    default:
      return `\`${t.value}\``;
  }
}
