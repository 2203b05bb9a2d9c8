/**
 * A small HTTP load generator on `node:http` with keep-alive: closed loop (N requests, C at a time,
 * as fast as the server answers) and open loop (a fixed rate, whatever the server does), each
 * request timed from send to the last byte of the answer.
 */
import { Agent, request } from 'node:http';

/** One request's outcome. */
export interface Sample {
  ms: number;
  status: number;
}

/** The samples of a run and how long it took. */
export interface Run {
  samples: Sample[];
  seconds: number;
}

/** What a load run sends: the i-th request's path, body and headers. */
export type RequestOf = (i: number) => { path: string; body: string; headers: Record<string, string> };

/** A keep-alive client for one server. */
export function client(baseUrl: string, maxSockets = 64) {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    /** POSTs a body; resolves with the status and the time to the full answer. */
    post(path: string, body: string, headers: Record<string, string>): Promise<Sample> {
      const started = performance.now();
      return new Promise((resolve) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path,
            method: 'POST',
            agent,
            headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0 }));
          },
        );
        req.on('error', () => resolve({ ms: performance.now() - started, status: 0 }));
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

/** `total` requests, `concurrency` in flight at a time. */
export async function closedLoop(
  http: ReturnType<typeof client>,
  total: number,
  concurrency: number,
  requestOf: RequestOf,
): Promise<Run> {
  const samples: Sample[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const r = requestOf(i);
      samples.push(await http.post(r.path, r.body, r.headers));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { samples, seconds: (performance.now() - started) / 1000 };
}

/** `ratePerS` requests a second for `seconds`, each sent on schedule whether or not earlier ones were answered. */
export async function openLoop(
  http: ReturnType<typeof client>,
  ratePerS: number,
  seconds: number,
  requestOf: RequestOf,
): Promise<Run> {
  const total = Math.round(ratePerS * seconds);
  const interval = 1000 / ratePerS;
  const pending: Array<Promise<Sample>> = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    // Timers are coarse: requests due within the next millisecond go out together.
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const r = requestOf(i);
    pending.push(http.post(r.path, r.body, r.headers));
  }
  const samples = await Promise.all(pending);
  return { samples, seconds: (performance.now() - started) / 1000 };
}
