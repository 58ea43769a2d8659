import { describe, expect, it } from "vitest";
import { any, append, chain, cmd, combine, group, op, pipe, quote, shell, substitute, toShell, write } from "../../src/commands/shell.js";

describe("quote", () => {
  it("leaves words made of safe characters bare", () => {
    expect(quote("docker")).toBe("docker");
    expect(quote("label=service=app")).toBe("label=service=app");
    expect(quote("/var/run/docker.sock:/var/run/docker.sock")).toBe("/var/run/docker.sock:/var/run/docker.sock");
  });

  it("single-quotes words with shell syntax, escaping single quotes", () => {
    expect(quote("a b")).toBe("'a b'");
    expect(quote("{{.Names}}")).toBe("'{{.Names}}'");
    expect(quote("it's")).toBe(`'it'\\''s'`);
    expect(quote("$HOME")).toBe("'$HOME'");
    expect(quote("PathPrefix(`/`)")).toBe("'PathPrefix(`/`)'");
  });

  it("quotes the empty word", () => {
    expect(quote("")).toBe("''");
  });

  it("keeps ${NAME} for the remote shell to expand, escaping everything else", () => {
    expect(quote("${PWD}/data:/data")).toBe('"${PWD}/data:/data"');
    expect(quote('HOST=${HOST_TOKEN} "x" $y `z`')).toBe('"HOST=${HOST_TOKEN} \\"x\\" \\$y \\`z\\`"');
  });
});

describe("combinators", () => {
  it("join commands with shell operators that are not quoted", () => {
    expect(toShell(combine(cmd("mkdir", "-p", ".mrsk"), cmd("echo", "a b")))).toBe("mkdir -p .mrsk && echo 'a b'");
    expect(toShell(any(cmd("a"), cmd("b")))).toBe("a || b");
    expect(toShell(chain(cmd("a"), cmd("b")))).toBe("a ; b");
    expect(toShell(pipe(cmd("a"), cmd("grep", "x y")))).toBe("a | grep 'x y'");
    expect(toShell(append(cmd("echo", "hi there"), "log file"))).toBe("echo 'hi there' >> 'log file'");
    expect(toShell(write(cmd("echo", "x"), "f"))).toBe("echo x > f");
    expect(toShell(group(combine(cmd("a"), cmd("b"))))).toBe("( a && b )");
  });

  it("nests a command as one quoted word", () => {
    expect(toShell(shell(pipe(cmd("docker", "ps"), cmd("wc", "-l"))))).toBe("sh -c 'docker ps | wc -l'");
    expect(toShell(cmd("echo", substitute(cmd("cat", "a b"))))).toBe(`echo "$(cat 'a b')"`);
  });

  it("drops false and undefined words, keeps operators identical", () => {
    expect(cmd("a", false, undefined, null, "b")).toEqual(["a", "b"]);
    expect(op("&&")).toBe(op("&&"));
  });
});
