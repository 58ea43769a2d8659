// Renders deploy-file ERB the way Ruby does (Kamal 2: `ERB.new(text, trim_mode: "-").result`),
// for a deliberate subset of Ruby. The template is split into tags (erb-template.ts), parsed as
// one Ruby program (erb-lexer.ts, erb-parser.ts) and run (erb-eval.ts). Code outside the subset
// is an error naming the file and line; it never passes through as text.
//
// The subset: string literals ('…', "…#{}…", %q %Q %w), integers, floats, nil, true, false,
// symbols, arrays, hashes; local variables with = ||= &&= +=; ENV["X"], ENV.fetch("X"[, default]),
// ENV.key?, ENV["X"] = v; File.read, File.exist?; `cmd`, %x(cmd); require (json, dotenv, yaml);
// Dotenv.load; raise "message", raise ArgumentError, "message"; RUBY_ENGINE, RUBY_ENGINE_VERSION, RUBY_VERSION; operators
// ! && || and or not == != < <= > >= + - * / % ?: and `&.`; if/elsif/else/unless/end (inside
// one tag or across tags), statement modifiers if/unless/rescue, begin/rescue/else/ensure/end;
// methods strip lstrip rstrip chomp to_s to_i to_f to_json inspect empty? nil? upcase downcase
// tr gsub sub split join include? start_with? end_with? length size first last fetch key? and [].

import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "../errors.js";
import { RubyErbSyntaxError, RubyError } from "./erb-errors.js";
import { checkStringLength, evaluateErb, type ErbOutput } from "./erb-eval.js";
import { parseErbProgram } from "./erb-parser.js";
import { splitErbTemplate } from "./erb-template.js";
import { shellOut } from "./shell-out.js";

export interface ErbContext {
  /** The template's file, for error messages. */
  readonly file: string;
  /** ENV as the template sees it; `Dotenv.load` and `ENV[…] =` write to it. */
  readonly env: Record<string, string | undefined>;
  /** Directory for relative paths in File.read/Dotenv.load and for shell-outs. */
  readonly cwd: string;
  /** Runs a backtick/%x() command and returns its stdout, even when the command fails (as Ruby does). */
  readonly exec?: (command: string) => string;
  readonly readFile?: (path: string) => string;
  readonly fileExists?: (path: string) => boolean;
}

export interface RenderedErb {
  readonly text: string;
  /** The template line that produced a line of `text` (both 1-based). */
  sourceLine(renderedLine: number): number;
}

const SUBSET_HINT =
  "deploy-file ERB supports a small Ruby subset: ENV[...], ENV.fetch, File.read, backticks and %x(), " +
  'string literals with #{...}, local variables, if/unless/else, the ternary ?:, ||, &&, begin/rescue, require "dotenv", ' +
  "Dotenv.load and simple methods (strip, chomp, to_s, tr, gsub, split, join, to_json, ...); " +
  "compute anything else outside the config and pass it in through ENV";

export function renderErb(template: string, ctx: ErbContext): string {
  return renderErbWithLines(template, ctx).text;
}

/** Renders and keeps track of which template line each rendered line came from. */
export function renderErbWithLines(template: string, ctx: ErbContext): RenderedErb {
  const output = new RenderBuffer();
  try {
    const program = parseErbProgram(splitErbTemplate(template, ctx.file));
    evaluateErb(program, runtimeFor(ctx), output);
  } catch (error) {
    throw toConfigError(error, template, ctx.file);
  }
  return { text: output.text(), sourceLine: (line) => output.sourceLine(line) };
}

function runtimeFor(ctx: ErbContext) {
  return {
    env: ctx.env,
    cwd: ctx.cwd,
    exec: ctx.exec ?? ((command: string) => runShell(command, ctx.cwd, ctx.env)),
    readFile: ctx.readFile ?? ((path: string) => readFileSync(path, "utf8")),
    fileExists: ctx.fileExists ?? existsSync,
  };
}

/** Ruby's backticks: /bin/sh -c, stderr passes through, stdout is returned whatever the exit code. */
function runShell(command: string, cwd: string, env: Record<string, string | undefined>): string {
  return shellOut(command, { cwd, env, stderr: "inherit" }).stdout;
}

function toConfigError(error: unknown, template: string, file: string): unknown {
  if (error instanceof RubyErbSyntaxError) {
    const snippet = snippetAt(template, error.line);
    const message =
      error.kind === "unsupported"
        ? `unsupported Ruby in ERB: ${error.what} in \`${snippet}\``
        : `Ruby syntax error in ERB: ${error.what} in \`${snippet}\``;
    const hint = error.kind === "unsupported" ? SUBSET_HINT : "check the Ruby code between <% and %>";
    return new ConfigError([{ file, path: "", line: error.line, message, hint }]);
  }
  if (error instanceof RubyError) {
    const line = error.line ?? 1;
    const message = `${error.message} (${error.rubyClass}) in \`${snippetAt(template, line)}\``;
    return new ConfigError([{ file, path: "", line, message, ...(error.hint === undefined ? {} : { hint: error.hint }) }]);
  }
  return error;
}

/** The template line, trimmed and shortened, to quote in an error. */
function snippetAt(template: string, line: number): string {
  const text = (template.split("\n")[line - 1] ?? "").trim();
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** Collects output and the template line of each output line. */
class RenderBuffer implements ErbOutput {
  private readonly chunks: string[] = [];
  private readonly origins: Array<number | undefined> = [];
  private lineIndex = 0;
  private length = 0;

  write(text: string, line: number, fromTemplateText: boolean): void {
    this.length += text.length;
    checkStringLength(this.length);
    let current = line;
    text.split("\n").forEach((piece, i) => {
      if (i > 0) {
        this.claimLine(current);
        this.chunks.push("\n");
        this.lineIndex++;
        if (fromTemplateText) current++;
      }
      if (piece !== "") {
        this.claimLine(current);
        this.chunks.push(piece);
      }
    });
  }

  text(): string {
    return this.chunks.join("");
  }

  sourceLine(renderedLine: number): number {
    for (let i = renderedLine - 1; i >= 0; i--) {
      const origin = this.origins[i];
      if (origin !== undefined) return origin + (renderedLine - 1 - i);
    }
    return renderedLine;
  }

  private claimLine(line: number): void {
    if (this.origins[this.lineIndex] === undefined) this.origins[this.lineIndex] = line;
  }
}
