// A bounded HTTP load generator for the zero-downtime tests: a fixed number of keep-alive
// connections sending GETs back to back to one rig address until stopped (or a time limit), with
// no client-side retries. Every answer other than 200 and every connection error is a failure.
import http from "node:http";

export interface LoadOptions {
  /** `10.213.0.11` or `10.213.0.11:8080`; only rig addresses are used. */
  address: string;
  path: string;
  /** Host header, for routing by host name. */
  host?: string;
  connections?: number;
  /** Stops by itself after this long, whatever happens. */
  maxMs?: number;
}

export interface LoadResult {
  requests: number;
  failures: number;
  /** A few failures as text (status or error), for the report. */
  samples: string[];
  /** How many answers each body (e.g. the version) got. */
  bodies: Map<string, number>;
}

export interface RunningLoad {
  stop(): Promise<LoadResult>;
  readonly result: LoadResult;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const [hostname, port = "80"] = options.address.split(":");
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections ?? 8 });
  const result: LoadResult = { requests: 0, failures: 0, samples: [], bodies: new Map() };
  let stopped = false;
  const limit = setTimeout(() => (stopped = true), options.maxMs ?? 120_000);

  const fail = (what: string): void => {
    result.failures++;
    if (result.samples.length < 10) result.samples.push(what);
  };

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const request = http.get(
        { hostname, port: Number(port), path: options.path, agent, headers: options.host === undefined ? {} : { host: options.host }, timeout: 30_000 },
        (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => {
            result.requests++;
            if (response.statusCode !== 200) fail(`HTTP ${response.statusCode}: ${body.slice(0, 80).trim()}`);
            else result.bodies.set(body.trim(), (result.bodies.get(body.trim()) ?? 0) + 1);
            resolve();
          });
          response.on("error", (error) => {
            result.requests++;
            fail(`response error: ${error.message}`);
            resolve();
          });
        },
      );
      request.on("timeout", () => request.destroy(new Error("timed out")));
      request.on("error", (error) => {
        result.requests++;
        fail(`request error: ${error.message}`);
        resolve();
      });
    });

  const loops = Array.from({ length: options.connections ?? 8 }, async () => {
    while (!stopped) await once();
  });

  return {
    result,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      clearTimeout(limit);
      agent.destroy();
      return result;
    },
  };
}

/** One GET on a fresh connection; resolves with status and body (for a slow request in flight during a switch). */
export function getOnce(address: string, path: string, host?: string): Promise<{ status: number; body: string; ms: number }> {
  const [hostname, port = "80"] = address.split(":");
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const request = http.get({ hostname, port: Number(port), path, agent: false, headers: host === undefined ? {} : { host }, timeout: 60_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, ms: Date.now() - started }));
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", reject);
  });
}
