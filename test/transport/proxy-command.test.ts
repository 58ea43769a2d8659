import { describe, expect, it } from "vitest";
import { expandProxyCommand } from "../../src/transport/proxy-command.js";

describe("expandProxyCommand", () => {
  it("substitutes host, port, user and a literal percent sign", () => {
    const endpoint = { user: "deploy", host: "web1.internal", port: 2222 };
    expect(expandProxyCommand("ssh -W %h:%p -l %r bastion # 100%%", endpoint)).toBe("ssh -W web1.internal:2222 -l deploy bastion # 100%");
  });

  it("quotes a host name the shell would otherwise split", () => {
    expect(expandProxyCommand("nc %h %p", { user: "root", host: "odd host", port: 22 })).toBe("nc 'odd host' 22");
  });
});
