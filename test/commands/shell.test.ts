import { describe, expect, it } from "vitest";
import { any, append, chain, cmd, combine, expandable, group, op, pipe, quote, shell, substitute, toShell, write } from "../../src/commands/shell.js";
import { recordAudit } from "../../src/commands/audit.js";
import { containerLogs } from "../../src/commands/app.js";
import { envArgs, volumeArgs } from "../../src/commands/docker.js";
import { configFrom, MRSK_MINIMAL, MRSK_SECRETS } from "../support/config.js";

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

  it("keeps ${NAME} literal in a plain word", () => {
    expect(quote("${PWD}/data:/data")).toBe("'${PWD}/data:/data'");
    expect(quote("${HOME}")).toBe("'${HOME}'");
  });

  it("keeps ${NAME} for the remote shell to expand only in an expandable word, escaping everything else", () => {
    expect(toShell([expandable("${PWD}/data:/data")])).toBe('"${PWD}/data:/data"');
    expect(toShell([expandable('HOST=${HOST_TOKEN} "x" $y `z`')])).toBe('"HOST=${HOST_TOKEN} \\"x\\" \\$y \\`z\\`"');
    expect(expandable("no expansion")).toBe("no expansion");
  });
});

describe("where ${NAME} expands on the host", () => {
  const config = configFrom(MRSK_MINIMAL, { env: MRSK_SECRETS });

  it("in env values and volumes, by design", () => {
    expect(toShell(envArgs({ DATA: "${PWD}/data" }))).toBe('--env "DATA=${PWD}/data"');
    expect(toShell(volumeArgs(["${PWD}/data:/data"]))).toBe('--volume "${PWD}/data:/data"');
  });

  it("nowhere else: audit lines and log filters stay literal", () => {
    const audit = toShell(recordAudit(config, { recordedAt: "T", performer: "me" }, "Ran echo ${HOME} $(id)"));
    expect(audit).toBe("mkdir -p .mrsk/app && echo '[T] [me] Ran echo ${HOME} $(id)' >> .mrsk/app/audit.log");
    expect(toShell(containerLogs("app-web", { grep: "${SECRET_KEY_BASE}" }))).toContain("grep -e '${SECRET_KEY_BASE}'");
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
