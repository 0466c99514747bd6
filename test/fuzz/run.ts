/**
 * The fuzz runner (`npm run fuzz -- --runs N --seed S [--target a,b] [--http-runs M] [--nodes K]`):
 * every target of targets.ts, then the HTTP fuzzer against a live network; prints inputs per target,
 * the slowest input, the HTTP status histogram and latencies, and crashes=N (exit 1 when N > 0).
 */
import fc from "fast-check";
import { armHttp, commitsAndAgrees, routeCount, startLiveNetwork } from "./http.js";
import { type Armed, TARGETS, quietLogs } from "./targets.js";

/** One target's result. */
export interface TargetResult {
  name: string;
  inputs: number;
  crashes: number;
  wallMs: number;
  slowestMs: number;
  failure?: string;
}

/** Run `armed` on `runs` inputs from `seed`; a broken invariant ends the target and is reported with its (shrunk) input. */
export async function fuzzTarget(name: string, armed: Armed<unknown>, runs: number, seed: number, path?: string): Promise<TargetResult> {
  let inputs = 0;
  let slowestMs = 0;
  const started = performance.now();
  const details = await fc.check(
    fc.asyncProperty(armed.arb, async (input) => {
      inputs++;
      const t = performance.now();
      await armed.check(input);
      slowestMs = Math.max(slowestMs, performance.now() - t);
    }),
    { numRuns: runs, seed, endOnFailure: name === "http", ...(path === undefined ? {} : { path }) },
  );
  const result: TargetResult = { name, inputs, crashes: details.failed ? 1 : 0, wallMs: performance.now() - started, slowestMs };
  if (details.failed) {
    let input: string;
    try {
      input = String(
        JSON.stringify(details.counterexample, (_k, v) => (v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString("utf8").slice(0, 500)}` : v)),
      ).slice(0, 1200);
    } catch {
      input = "(too deep to print; rerun with the seed and path)";
    }
    const cause = (details.errorInstance as { cause?: Error } | undefined)?.cause;
    const stack = process.env.FUZZ_STACK === "1" && cause?.stack !== undefined ? `\n${cause.stack.split("\n").slice(0, 12).join("\n")}` : "";
    result.failure = `${String(details.errorInstance ?? "")}${stack} | seed ${details.seed} path ${String(details.counterexamplePath).slice(0, 120)} | input ${input}`;
  }
  return result;
}

function args(argv: string[]): { runs: number; seed: number; targets: string[] | null; httpRuns: number | null; nodes: number; path?: string } {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, dflt: number): number => {
    const v = get(flag);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, not ${v}`);
    return n;
  };
  const runs = num("--runs", 1000);
  const t = get("--target");
  return {
    runs,
    seed: num("--seed", Date.now() % 2 ** 31),
    targets: t === undefined ? null : t.split(","),
    httpRuns: get("--http-runs") === undefined ? null : num("--http-runs", 0),
    nodes: num("--nodes", 4),
    ...(get("--path") === undefined ? {} : { path: get("--path") as string }),
  };
}

async function main(): Promise<void> {
  const { runs, seed, targets, httpRuns, nodes, path } = args(process.argv.slice(2));
  quietLogs();
  const known = [...TARGETS.map((t) => t.name), "http"];
  for (const t of targets ?? []) if (!known.includes(t)) throw new Error(`unknown target ${t}; targets: ${known.join(", ")}`);
  const wanted = (name: string): boolean => targets === null || targets.includes(name);
  console.log(`fuzz: seed ${seed}, ${runs} inputs per target`);
  const started = performance.now();
  const results: TargetResult[] = [];
  for (const target of TARGETS.filter((t) => wanted(t.name))) {
    const armed = await target.setup();
    const r = await fuzzTarget(target.name, armed, runs, seed, path);
    await armed.teardown?.();
    results.push(r);
    console.log(
      `  ${r.name.padEnd(18)} ${String(r.inputs).padStart(9)} inputs  ${(r.wallMs / 1000).toFixed(1).padStart(7)} s  slowest ${r.slowestMs.toFixed(1)} ms  crashes ${r.crashes}`,
    );
    if (r.failure !== undefined) console.log(`    FAILED: ${r.failure}`);
  }
  if (wanted("http")) {
    const live = await startLiveNetwork(nodes);
    try {
      const armed = await armHttp(live);
      const r = await fuzzTarget("http", armed, httpRuns ?? runs, seed);
      await armed.teardown?.();
      results.push(r);
      const lat = [...armed.stats.latenciesMs].sort((a, b) => a - b);
      const q = (p: number): string => (lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0).toFixed(1);
      console.log(
        `  ${"http".padEnd(18)} ${String(r.inputs).padStart(9)} inputs  ${(r.wallMs / 1000).toFixed(1).padStart(7)} s  over ${await routeCount(live)} routes on a ${nodes}-node network  crashes ${r.crashes}`,
      );
      console.log(
        `    statuses: ${[...armed.stats.statuses.entries()]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}×${n}`)
          .join(" ")}`,
      );
      console.log(
        `    latency ms: p50 ${q(0.5)} p99 ${q(0.99)} max ${armed.stats.slowest.ms.toFixed(1)} (${armed.stats.slowest.label}); over 1 s: ${lat.filter((x) => x > 1000).length}`,
      );
      console.log(`    heap MB: ${armed.stats.heapBeforeMb.toFixed(0)} before, ${armed.stats.heapAfterMb.toFixed(0)} after`);
      if (r.failure !== undefined) console.log(`    FAILED: ${r.failure}`);
      try {
        const h = await commitsAndAgrees(live);
        console.log(`    afterwards: a new certificate committed at height ${h} on all ${nodes} nodes, same block hash`);
      } catch (err) {
        results.push({ name: "http-after", inputs: 0, crashes: 1, wallMs: 0, slowestMs: 0, failure: String(err) });
        console.log(`    FAILED afterwards: ${String(err)}`);
      }
    } finally {
      await live.close();
    }
  }
  const total = results.reduce((n, r) => n + r.inputs, 0);
  const crashes = results.reduce((n, r) => n + r.crashes, 0);
  console.log(`fuzz: ${total} inputs in ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${seed}, crashes=${crashes}`);
  process.exitCode = crashes > 0 ? 1 : 0;
}

if (process.argv[1]?.endsWith("run.js")) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  });
}
