// Splits an ERB template into text, code and output segments the way Ruby's ERB scanner does
// with Kamal's `trim_mode: "-"` (ERB::Compiler::ExplicitScanner):
//   <%= expr %>   output        <% code %>   code         <%# … %>   comment (dropped)
//   <%%           a literal "<%" in text;  %%> inside a tag is a literal "%>" in the code
//   -%>           closes a tag and swallows the newline right after it
//   <%-           opens a code tag and swallows the spaces/tabs before it when only they
//                 precede it on the line
// Without a trim mode (MRSK) `-%>`/`<%-` would be Ruby syntax errors, so accepting them is a superset.

import { ConfigError } from "../errors.js";

export type ErbSegment =
  | { readonly kind: "text"; readonly text: string; readonly line: number }
  | { readonly kind: "code"; readonly code: string; readonly line: number }
  | { readonly kind: "output"; readonly code: string; readonly line: number };

export function splitErbTemplate(template: string, file: string): ErbSegment[] {
  return new TemplateScanner(template, file).scan();
}

class TemplateScanner {
  private readonly segments: ErbSegment[] = [];
  private pos = 0;
  private line = 1;
  private text = "";
  private textLine = 1;

  constructor(
    private readonly template: string,
    private readonly file: string,
  ) {}

  scan(): ErbSegment[] {
    for (;;) {
      const chunkStart = this.pos;
      const open = this.template.indexOf("<%", this.pos);
      const end = open === -1 ? this.template.length : open;
      this.appendText(this.template.slice(this.pos, end));
      this.advanceTo(end);
      if (open === -1) break;
      this.scanTag(open, chunkStart);
    }
    this.flushText();
    return this.segments;
  }

  private scanTag(open: number, chunkStart: number): void {
    const marker = this.template[open + 2];
    if (marker === "%") {
      this.appendText("<%");
      this.advanceTo(open + 3);
      return;
    }
    if (marker === "-") this.dropIndentBefore(open, chunkStart);
    const tagLine = this.line;
    const contentStart = open + (marker === "=" || marker === "#" || marker === "-" ? 3 : 2);
    const { code, end } = this.scanTagBody(open, contentStart);
    this.flushText();
    if (marker === "=") this.segments.push({ kind: "output", code, line: tagLine });
    else if (marker !== "#") this.segments.push({ kind: "code", code, line: tagLine });
    this.advanceTo(end);
  }

  /** Finds the closing `%>` (or `-%>`), turning `%%>` into a literal `%>` of the code. */
  private scanTagBody(open: number, contentStart: number): { code: string; end: number } {
    let code = "";
    let from = contentStart;
    for (;;) {
      const close = this.template.indexOf("%>", from);
      if (close === -1) {
        throw new ConfigError([
          {
            file: this.file,
            path: "",
            line: this.line,
            message: `unterminated ERB tag: ${JSON.stringify(this.template.slice(open, open + 40))} has no closing %>`,
            hint: "close the tag with %> (or -%> to drop the newline after it)",
          },
        ]);
      }
      const before = close > from ? this.template[close - 1] : undefined;
      if (before === "%") {
        code += this.template.slice(from, close - 1) + "%>";
        from = close + 2;
        continue;
      }
      if (before === "-") {
        code += this.template.slice(from, close - 1);
        const after = close + 2;
        const newline = this.template.startsWith("\r\n", after) ? 2 : this.template[after] === "\n" ? 1 : 0;
        return { code, end: after + newline };
      }
      code += this.template.slice(from, close);
      return { code, end: close + 2 };
    }
  }

  /** `<%-` eats the spaces/tabs before it when they start the line (or follow the previous tag). */
  private dropIndentBefore(open: number, chunkStart: number): void {
    let start = open;
    while (start > chunkStart && (this.template[start - 1] === " " || this.template[start - 1] === "\t")) start--;
    const atLineStart = start === chunkStart || this.template[start - 1] === "\n";
    if (atLineStart && open > start) this.text = this.text.slice(0, this.text.length - (open - start));
  }

  private appendText(chunk: string): void {
    if (chunk === "") return;
    if (this.text === "") this.textLine = this.line;
    this.text += chunk;
  }

  private flushText(): void {
    if (this.text !== "") this.segments.push({ kind: "text", text: this.text, line: this.textLine });
    this.text = "";
  }

  private advanceTo(end: number): void {
    for (let i = this.pos; i < end; i++) if (this.template[i] === "\n") this.line++;
    this.pos = end;
  }
}
