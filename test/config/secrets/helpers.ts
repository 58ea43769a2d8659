import { afterEach, beforeEach } from "vitest";
import { fetchSecrets } from "../../../src/config/secrets/commands.js";
import { FakeClis } from "../../support/fake-cli.js";

export interface FetchCall {
  account?: string;
  from?: string;
  interactive?: boolean;
  env?: Record<string, string>;
}

/** Fresh fake CLIs per test, and `fetch`/`fetchError` that run an adapter against them and verify every call. */
export function useFakeClis() {
  const state = { fakes: new FakeClis() };
  beforeEach(() => {
    state.fakes = new FakeClis();
  });
  afterEach(() => state.fakes.remove());

  const run = (adapter: string, names: string[], call: FetchCall): string =>
    fetchSecrets(
      { adapter, names, account: call.account, from: call.from },
      { env: { PATH: state.fakes.dir, ...call.env }, cwd: state.fakes.dir, interactive: call.interactive ?? false },
    );

  return {
    get fakes(): FakeClis {
      return state.fakes;
    },
    fetch(adapter: string, names: string[], call: FetchCall = {}): Record<string, unknown> {
      const json = run(adapter, names, call);
      state.fakes.verify();
      return JSON.parse(json) as Record<string, unknown>;
    },
    fetchError(adapter: string, names: string[], call: FetchCall = {}): Error & { hint?: string } {
      try {
        run(adapter, names, call);
      } catch (error) {
        state.fakes.verify();
        return error as Error & { hint?: string };
      }
      throw new Error("expected the fetch to fail");
    },
  };
}
