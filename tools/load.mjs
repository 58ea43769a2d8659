// A bounded HTTP load generator: a fixed number of keep-alive connections sending requests back
// to back to one address until stopped (or a time limit), with no client-side retries. With a POST
// path, every connection alternates a GET of PATH and a POST (a small body) to the POST path: a
// proxy may retry a GET, never a POST, so POSTs show what a switch really loses. Every answer other
// than 200 and every connection error counts as a failure. Used by the end-to-end tests and the
// demo, only against the sandbox hosts.
//
//   node tools/load.mjs ADDRESS PATH [--host NAME] [--seconds N] [--connections N] [--post PATH]
import http from "node:http";

/**
 * @param {{ address: string, path: string, postPath?: string, host?: string, connections?: number, maxMs?: number }} options
 * @returns {{ result: LoadResult, stop(): Promise<LoadResult> }}
 * @typedef {{ requests: number, posts: number, failures: number, samples: string[], bodies: Map<string, number> }} LoadResult
 */
export function startLoad(options) {
  const [hostname, port = "80"] = options.address.split(":");
  const connections = options.connections ?? 8;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  /** @type {LoadResult} */
  const result = { requests: 0, posts: 0, failures: 0, samples: [], bodies: new Map() };
  let stopped = false;
  const limit = setTimeout(() => (stopped = true), options.maxMs ?? 120_000);
  const headers = options.host === undefined ? {} : { host: options.host };

  const fail = (/** @type {string} */ what) => {
    result.failures++;
    if (result.samples.length < 10) result.samples.push(what);
  };

  const postBody = "mrsk=load";
  const once = (/** @type {boolean} */ post) =>
    new Promise((resolve) => {
      const method = post ? "POST" : "GET";
      const request = http.request(
        {
          method,
          hostname,
          port: Number(port),
          path: post ? options.postPath : options.path,
          agent,
          headers: post ? { ...headers, "content-type": "application/x-www-form-urlencoded", "content-length": String(postBody.length) } : headers,
          timeout: 30_000,
        },
        (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk) => (body += chunk));
          response.on("end", () => {
            result.requests++;
            if (post) result.posts++;
            if (response.statusCode !== 200) fail(`${method} HTTP ${response.statusCode}: ${body.slice(0, 80).trim()}`);
            else if (!post) result.bodies.set(body.trim(), (result.bodies.get(body.trim()) ?? 0) + 1);
            resolve(undefined);
          });
          response.on("error", (error) => {
            result.requests++;
            fail(`${method} response error: ${error.message}`);
            resolve(undefined);
          });
        },
      );
      request.on("timeout", () => request.destroy(new Error("timed out")));
      request.on("error", (error) => {
        result.requests++;
        fail(`${method} request error: ${error.message}`);
        resolve(undefined);
      });
      request.end(post ? postBody : undefined);
    });

  const loops = Array.from({ length: connections }, async () => {
    for (let n = 0; !stopped; n++) await once(options.postPath !== undefined && n % 2 === 1);
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

/**
 * One GET on a fresh connection (e.g. a slow request in flight during a switch).
 * @returns {Promise<{ status: number, body: string, ms: number }>}
 */
export function getOnce(/** @type {string} */ address, /** @type {string} */ path, /** @type {string | undefined} */ host) {
  const [hostname, port = "80"] = address.split(":");
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const headers = host === undefined ? {} : { host };
    const request = http.get({ hostname, port: Number(port), path, agent: false, headers, timeout: 60_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, ms: Date.now() - started }));
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", reject);
  });
}

export function describeLoad(/** @type {LoadResult} */ result) {
  const answers = [...result.bodies].map(([body, n]) => `${n}× ${JSON.stringify(body)}`).join(", ");
  return `${result.requests} requests (${result.posts} POST), ${result.failures} failed${result.samples.length ? ` (${result.samples.join("; ")})` : ""}; answers: ${answers || "none"}`;
}

// Command line: runs until SIGINT/SIGTERM or --seconds, then prints the summary (exit 1 on failures).
if (import.meta.url === `file://${process.argv[1]}`) {
  const [address, path = "/", ...rest] = process.argv.slice(2);
  const flag = (/** @type {string} */ name) => {
    const i = rest.indexOf(name);
    return i < 0 ? undefined : rest[i + 1];
  };
  if (address === undefined) {
    console.error("usage: node tools/load.mjs ADDRESS PATH [--host NAME] [--seconds N] [--connections N] [--post PATH]");
    process.exit(2);
  }
  const seconds = Number(flag("--seconds") ?? 60);
  const host = flag("--host");
  const postPath = flag("--post");
  const load = startLoad({
    address,
    path,
    connections: Number(flag("--connections") ?? 8),
    maxMs: seconds * 1000,
    ...(host === undefined ? {} : { host }),
    ...(postPath === undefined ? {} : { postPath }),
  });
  const finish = async () => {
    const result = await load.stop();
    console.log(describeLoad(result));
    process.exit(result.failures === 0 ? 0 : 1);
  };
  process.on("SIGINT", finish);
  process.on("SIGTERM", finish);
  setTimeout(finish, seconds * 1000);
}
