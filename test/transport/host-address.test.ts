import { describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/errors.js";
import { parseHostAddress } from "../../src/transport/host-address.js";

const defaults = { user: "root", port: 22 };

describe("parseHostAddress", () => {
  it("fills user and port from the defaults", () => {
    expect(parseHostAddress("web1.example.com", defaults)).toEqual({ user: "root", host: "web1.example.com", port: 22 });
  });

  it("takes the user and port written in the host", () => {
    expect(parseHostAddress("deploy@10.0.0.1:2222", defaults)).toEqual({ user: "deploy", host: "10.0.0.1", port: 2222 });
    expect(parseHostAddress("10.0.0.1:2222", defaults)).toEqual({ user: "root", host: "10.0.0.1", port: 2222 });
    expect(parseHostAddress("app@web1", defaults)).toEqual({ user: "app", host: "web1", port: 22 });
  });

  it("reads IPv6 addresses, bracketed when they carry a port", () => {
    expect(parseHostAddress("[::1]:2222", defaults)).toEqual({ user: "root", host: "::1", port: 2222 });
    expect(parseHostAddress("deploy@[fe80::1]", defaults)).toEqual({ user: "deploy", host: "fe80::1", port: 22 });
    expect(parseHostAddress("2001:db8::7", defaults)).toEqual({ user: "root", host: "2001:db8::7", port: 22 });
  });

  it("rejects a port that is not a number, naming the host", () => {
    expect(() => parseHostAddress("web1:ssh", defaults)).toThrow(ConnectionError);
    expect(() => parseHostAddress("web1:70000", defaults)).toThrow('Could not connect to web1:70000: invalid host address: "70000" is not a port number');
    expect(() => parseHostAddress("@web1", defaults)).toThrow("expected [user@]host[:port]");
  });
});
