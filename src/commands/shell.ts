// Commands are data: an argv array whose words are quoted for the remote shell by `toShell`, the
// only quoting function in the project. Shell syntax (`&&`, `|`, `>>`, `$(…)`) is carried by
// operator words, which `toShell` emits verbatim.

export interface Operator {
  readonly op: string;
}

export type Word = string | Operator;
export type Cmd = readonly Word[];

const OPERATORS = new Map<string, Operator>();

/** Raw shell syntax, emitted unquoted. Interned so that operators compare by identity. */
export function op(text: string): Operator {
  let found = OPERATORS.get(text);
  if (!found) {
    found = Object.freeze({ op: text });
    OPERATORS.set(text, found);
  }
  return found;
}

export function isOperator(word: Word): word is Operator {
  return typeof word !== "string";
}

export function cmd(...words: ReadonlyArray<Word | false | null | undefined>): Cmd {
  return words.filter((w): w is Word => w !== false && w !== null && w !== undefined);
}

function joinWith(operator: string, cmds: ReadonlyArray<Cmd>): Cmd {
  const out: Word[] = [];
  for (const [i, c] of cmds.entries()) {
    if (i > 0) out.push(op(operator));
    out.push(...c);
  }
  return out;
}

/** `a && b && …` */
export const combine = (...cmds: Cmd[]): Cmd => joinWith("&&", cmds);
/** `a || b || …` */
export const any = (...cmds: Cmd[]): Cmd => joinWith("||", cmds);
/** `a ; b ; …` */
export const chain = (...cmds: Cmd[]): Cmd => joinWith(";", cmds);
/** `a | b | …` */
export const pipe = (...cmds: Cmd[]): Cmd => joinWith("|", cmds);

/** `cmd >> file` */
export const append = (c: Cmd, file: string): Cmd => [...c, op(">>"), file];
/** `cmd > file` */
export const write = (c: Cmd, file: string): Cmd => [...c, op(">"), file];
/** `cmd 2>&1` */
export const mergeStderr = (c: Cmd): Cmd => [...c, op("2>&1")];
/** `cmd 2>/dev/null` */
export const silenceStderr = (c: Cmd): Cmd => [...c, op("2>/dev/null")];
/** `cmd > /dev/null 2>&1` */
export const silence = (c: Cmd): Cmd => [...c, op(">/dev/null"), op("2>&1")];
/** `( a )`, a subshell, so that operators inside do not bind to what follows */
export const group = (c: Cmd): Cmd => [op("("), ...c, op(")")];
/** `$(cmd)` as a single word inside another command */
export const substitute = (c: Cmd): Operator => op(`"$(${toShell(c)})"`);
/**
 * One double-quoted word joining text and command substitutions, e.g. `"http://$(docker inspect …):80/up"`.
 * Text parts are escaped for double quotes.
 */
export const interpolate = (...parts: Array<string | Cmd>): Operator =>
  op(`"${parts.map((p) => (typeof p === "string" ? p.replace(/["\\$`]/g, "\\$&") : `$(${toShell(p)})`)).join("")}"`);
/** A path with `*` for the remote shell to expand; only safe characters are allowed around it. */
export const glob = (pattern: string): Operator => {
  if (!/^[A-Za-z0-9_\-+=.,/:@%^*]+$/.test(pattern)) throw new Error(`glob pattern with shell syntax: ${pattern}`);
  return op(pattern);
};
/** `sh -c '<cmd>'`, for a command that must run under one shell invocation */
export const shell = (c: Cmd): Cmd => ["sh", "-c", toShell(c)];

// Words made only of these characters need no quoting in any POSIX shell.
const SAFE_WORD = /^[A-Za-z0-9_\-+=.,/:@%^]+$/;
const REMOTE_EXPANSION = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

/** Quote one word for a POSIX shell: the remote shell sees exactly this text. */
export function quote(word: string): string {
  if (word === "") return "''";
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A word whose `${NAME}` the remote shell expands, as MRSK and Kamal document for env values and
 * volumes (e.g. "${PWD}/data"); every other `$` stays literal. Only builders that mean it use
 * this: everywhere else (audit lines, `--grep`, paths) a `${NAME}` is plain text.
 */
export function expandable(word: string): Word {
  return REMOTE_EXPANSION.test(word) ? op(doubleQuoteKeepingExpansions(word)) : word;
}

function doubleQuoteKeepingExpansions(word: string): string {
  let out = "";
  for (let i = 0; i < word.length; i++) {
    const ch = word[i]!;
    if (ch === "$") {
      const rest = word.slice(i);
      const m = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}/.exec(rest);
      if (m) {
        out += m[0];
        i += m[0].length - 1;
        continue;
      }
      out += "\\$";
    } else if (ch === '"' || ch === "\\" || ch === "`") {
      out += `\\${ch}`;
    } else {
      out += ch;
    }
  }
  return `"${out}"`;
}

/** The one place a command becomes a shell line. */
export function toShell(c: Cmd): string {
  return c.map((w) => (isOperator(w) ? w.op : quote(w))).join(" ");
}
