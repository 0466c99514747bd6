/**
 * A closed-loop HTTP load: `connections` keep-alive connections, each sending its next GET as soon as
 * the previous answer is read, for `seconds` after a short warm-up. Reports answers per second and the
 * latency percentiles. The client shares the machine with the server: its figures are a floor.
 */
import { Agent, request } from "node:http";

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 200 (and transport errors). */
  errors: number;
}

export interface LoadOptions {
  origin: string;
  /** The path of the next request. */
  path: () => string;
  connections: number;
  seconds: number;
  warmupSeconds?: number;
}

function get(agent: Agent, origin: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${origin}${path}`, { agent, headers: { accept: "application/json" } }, (res) => {
      res.on("data", () => undefined);
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", () => resolve(0));
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Run the load; resolves when every connection has finished its last request. */
export async function httpLoad(opts: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const start = t0 + (opts.warmupSeconds ?? 1) * 1000;
  const end = start + opts.seconds * 1000;
  const worker = async (): Promise<void> => {
    for (;;) {
      const at = performance.now();
      if (at >= end) return;
      const status = await get(agent, opts.origin, opts.path());
      if (at < start) continue;
      latencies.push(performance.now() - at);
      if (status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    requests: latencies.length,
    perSecond: Math.round(latencies.length / opts.seconds),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    errors,
  };
}
