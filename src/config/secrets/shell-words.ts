// Ruby's Shellwords, which Kamal uses around `$(kamal secrets …)`: `shellescape` makes the JSON of
// `fetch --inline` one shell word, `shellsplit` turns the command back into arguments. Ported
// rather than taken from npm because the npm splitters expand variables and treat `|`, `;` and
// globs as shell syntax, while Kamal's argument list is exactly what Ruby's splitter makes.

/** Ruby's `String#shellescape`. */
export function rubyShellescape(text: string): string {
  if (text === "") return "''";
  return text.replace(/[^A-Za-z0-9_\-.,:+/@\n]/g, "\\$&").replace(/\n/g, "'\n'");
}

export interface SplitCommand {
  readonly words: string[];
  /** True when an unquoted `|`, `;`, `&`, `<`, `>`, `(`, `)`, `` ` `` or `$` is in the text: shell syntax. */
  readonly shellSyntax: boolean;
}

const SHELL_SYNTAX = /[|;&<>()`$]/;

/** Ruby's `String#shellsplit`; throws on an unmatched quote as Ruby does. */
export function rubyShellsplit(line: string): SplitCommand {
  const words: string[] = [];
  let shellSyntax = false;
  let field = "";
  let inField = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (inField) words.push(field);
      field = "";
      inField = false;
      i++;
      continue;
    }
    inField = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error(`Unmatched quote at ${i}: ${line.slice(i)}`);
      field += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let text = "";
      while (j < line.length && line[j] !== '"') {
        if (line[j] === "\\" && j + 1 < line.length) {
          const next = line[j + 1]!;
          text += '$`"\\\n'.includes(next) ? next : `\\${next}`;
          j += 2;
        } else {
          text += line[j];
          j++;
        }
      }
      if (j >= line.length) throw new Error(`Unmatched quote at ${i}: ${line.slice(i)}`);
      field += text;
      i = j + 1;
    } else if (c === "\\") {
      field += line[i + 1] ?? "";
      i += 2;
    } else {
      if (SHELL_SYNTAX.test(c)) shellSyntax = true;
      field += c;
      i++;
    }
  }
  if (inField) words.push(field);
  return { words, shellSyntax };
}
