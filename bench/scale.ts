/**
 * `npm run bench -- --scale N` (issue 13 item 4): a node holding N certificates. The chain is written
 * offline (testnet/long-chain.ts: N/100 blocks of 100 identity proofs, real signatures and seals) into
 * a temporary directory, with a 1,000-certificate chain and an N/10 one of the same genesis beside
 * it; then, measured in this run:
 *   - the node's start time on N, and its JS heap and anonymous RSS after the query load;
 *   - GET /certificates/:id, /verify/:id, /certificates/:id/proof, /txs/:hash, /blocks/:h: answers
 *     per second and p99 on N, and the first two on the 1,000-certificate chain (their ratio);
 *   - `certchain audit` on N and on N/10 (rate ratio: linear or not) and its peak RSS;
 *   - `certchain backup` from the node and `certchain restore` of that file: time and peak RSS.
 * Everything is removed at the end (kept with BENCH_KEEP_DIR set, for the nodes' logs).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LedgerError } from "../node/errors.js";
import { initChainNetwork } from "./chain-network.js";
import { writeLongChain } from "../testnet/long-chain.js";
import { NodeProcess } from "../testnet/node-process.js";
import { type LoadResult, httpLoad } from "./http-load.js";

const TXS_PER_BLOCK = 100;

export interface ScaleOptions {
  certificates: number;
  basePort: number;
  /** bin/certchain.js */
  cli: string;
  connections: number;
  /** Seconds of load per route. */
  seconds: number;
}

export interface ChildRun {
  seconds: number;
  peakRssMb: number;
}

export interface ScaleResult {
  certificates: number;
  blocks: number;
  buildSeconds: number;
  /**
   * What each block of the N build cost, averaged per tenth of the build (ms per 100-transaction block,
   * unsynced writes): executing it (state reads, the state tree) and committing it. Shows how a block's
   * cost grows with the store under it — what a long soak's second half runs into.
   */
  growth: Array<{ certificates: number; executeMs: number; applyMs: number }>;
  startSeconds: number;
  afterLoad: { heapUsedMb: number; rssAnonMb: number };
  routes: Record<string, LoadResult>;
  small: Record<string, LoadResult>;
  audit: { large: ChildRun & { txPerSecond: number }; tenth: ChildRun & { txPerSecond: number } };
  backup: ChildRun & { fileMb: number };
  restore: ChildRun;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run the CLI under /usr/bin/time: wall seconds and peak RSS. Fails on a non-zero exit. */
function timedCli(cli: string, args: string[]): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    execFile("/usr/bin/time", ["-f", "TIME %e %M", process.execPath, cli, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      const m = /TIME ([\d.]+) (\d+)/.exec(stderr);
      if (err !== null || m === null) {
        reject(new LedgerError("INTERNAL", `certchain ${args[0]} failed: ${err?.message ?? ""}\n${stderr.slice(-2000)}`));
        return;
      }
      resolve({ seconds: Number(m[1]), peakRssMb: Math.round(Number(m[2]) / 1024) });
    });
  });
}

async function ready(url: string, height: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2000) });
      if ((((await res.json()) as { head: { height: number } }).head.height ?? 0) >= height) return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
}

/** JS heap in use (the node's own /metrics) and anonymous RSS (/proc) of a node process. */
async function memoryOf(url: string, pid: number): Promise<{ heapUsedMb: number; rssAnonMb: number }> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const heap = Number(/^nodejs_heap_size_used_bytes (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const anonKb = Number(/^RssAnon:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return { heapUsedMb: Math.round(heap / 1048576), rssAnonMb: Math.round(anonKb / 1024) };
}

const pick = (n: number): number => 1 + Math.floor(Math.random() * n);

/** Sample transaction hashes of random blocks (for /txs/:hash). */
async function sampleTxHashes(url: string, blocks: number, count: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < count) {
    const b = (await (await fetch(`${url}/blocks/${pick(blocks)}`)).json()) as { receipts: Array<{ txHash: string }> };
    for (const r of b.receipts.slice(0, 5)) out.push(r.txHash);
  }
  return out;
}

export async function measureScale(opts: ScaleOptions): Promise<ScaleResult> {
  const blocks = Math.max(1, Math.round(opts.certificates / TXS_PER_BLOCK));
  const tenth = Math.max(1, Math.round(blocks / 10));
  const dir = await mkdtemp(join(tmpdir(), "certchain-bench-scale-"));
  const procs: NodeProcess[] = [];
  try {
    const { net, spec, validatorKeys: keys, issuer } = await initChainNetwork(dir, "bench-scale", opts.basePort);
    const [large, small, tenthNode, restored] = net.nodes as [(typeof net.nodes)[0], (typeof net.nodes)[0], (typeof net.nodes)[0], (typeof net.nodes)[0]];
    const growth: ScaleResult["growth"] = [];
    const build = async (home: string, n: number, label: string, timed = false): Promise<void> => {
      const per = Math.max(1, Math.round(n / 10));
      let sums = { execute: 0, apply: 0, blocks: 0 };
      await writeLongChain({
        spec,
        validatorKeys: keys,
        issuer,
        dataDir: join(home, "data"),
        blocks: n,
        txsPerBlock: TXS_PER_BLOCK,
        onProgress: (h) => process.stdout.write(`\r${label}: ${h}/${n} blocks`),
        ...(timed
          ? {
              onBlockTimed: (h: number, executeMs: number, applyMs: number) => {
                sums = { execute: sums.execute + executeMs, apply: sums.apply + applyMs, blocks: sums.blocks + 1 };
                if (h % per !== 0 && h !== n) return;
                const avg = (ms: number): number => Math.round((ms / sums.blocks) * 100) / 100;
                growth.push({ certificates: h * TXS_PER_BLOCK, executeMs: avg(sums.execute), applyMs: avg(sums.apply) });
                sums = { execute: 0, apply: 0, blocks: 0 };
              },
            }
          : {}),
      });
      if (n >= 1000) process.stdout.write("\n");
    };
    console.log(`scale: writing ${blocks} blocks × ${TXS_PER_BLOCK} (${blocks * TXS_PER_BLOCK} certificates), ${tenth} blocks and 10 blocks beside it…`);
    const b0 = performance.now();
    await build(large.home, blocks, "chain N", true);
    const buildSeconds = (performance.now() - b0) / 1000;
    await build(tenthNode.home, tenth, "chain N/10");
    await build(small.home, 10, "chain 1k");

    const spawn = (n: typeof large): NodeProcess => {
      const p = new NodeProcess(
        n.name,
        [process.execPath, opts.cli, "start", "--home", n.home, "--plaintext-keys", "--log-level", "warn", "--set", "rpc.rateLimit.expensiveReads=0"],
        join(dir, `${n.name}.log`),
        (exit) => console.error(`${n.name} exited unexpectedly: ${JSON.stringify(exit)}`),
      );
      p.start();
      procs.push(p);
      return p;
    };
    const load = (url: string, path: () => string): Promise<LoadResult> =>
      httpLoad({ origin: url, path, connections: opts.connections, seconds: opts.seconds });
    const id = (n: number): string => {
      const k = pick(n * TXS_PER_BLOCK) - 1;
      return `LC-${1 + Math.floor(k / TXS_PER_BLOCK)}-${k % TXS_PER_BLOCK}`;
    };

    // The 1,000-certificate chain: the reference rates of the two certificate routes.
    console.log("scale: the 1,000-certificate node…");
    const smallProc = spawn(small);
    await ready(small.rpcUrl, 10);
    const smallRoutes: Record<string, LoadResult> = {
      "GET /certificates/:id": await load(small.rpcUrl, () => `/certificates/${id(10)}`),
      "GET /verify/:id": await load(small.rpcUrl, () => `/verify/${id(10)}`),
    };
    await smallProc.stop(10_000);

    console.log("scale: the N-certificate node…");
    const t0 = performance.now();
    const largeProc = spawn(large);
    await ready(large.rpcUrl, blocks);
    const startSeconds = (performance.now() - t0) / 1000;
    const hashes = await sampleTxHashes(large.rpcUrl, blocks, 1000);
    const routes: Record<string, LoadResult> = {
      "GET /certificates/:id": await load(large.rpcUrl, () => `/certificates/${id(blocks)}`),
      "GET /verify/:id": await load(large.rpcUrl, () => `/verify/${id(blocks)}`),
      "GET /certificates/:id/proof": await load(large.rpcUrl, () => `/certificates/${id(blocks)}/proof`),
      "GET /txs/:hash": await load(large.rpcUrl, () => `/txs/${hashes[Math.floor(Math.random() * hashes.length)]}`),
      "GET /blocks/:h": await load(large.rpcUrl, () => `/blocks/${pick(blocks)}`),
    };
    const afterLoad = await memoryOf(large.rpcUrl, largeProc.pid as number);

    console.log("scale: backup from the node, restore into an empty home…");
    const file = join(dir, "chain.backup");
    const backup = await timedCli(opts.cli, ["backup", "--rpc", large.rpcUrl, "--out", file]);
    const fileMb = Math.round((await stat(file)).size / 1048576);
    await largeProc.stop(10_000);
    const restore = await timedCli(opts.cli, ["restore", "--home", restored.home, "--in", file]);
    await rm(file, { force: true });

    console.log("scale: audits of N and N/10…");
    const audit = async (home: string, n: number): Promise<ChildRun & { txPerSecond: number }> => {
      const run = await timedCli(opts.cli, ["audit", "--home", home, "--quiet"]);
      return { ...run, txPerSecond: Math.round((n * TXS_PER_BLOCK) / run.seconds) };
    };
    const auditLarge = await audit(large.home, blocks);
    const auditTenth = await audit(tenthNode.home, tenth);
    return {
      certificates: blocks * TXS_PER_BLOCK,
      blocks,
      buildSeconds: Math.round(buildSeconds),
      growth,
      startSeconds: Math.round(startSeconds * 100) / 100,
      afterLoad,
      routes,
      small: smallRoutes,
      audit: { large: auditLarge, tenth: auditTenth },
      backup: { ...backup, fileMb },
      restore,
    };
  } finally {
    for (const p of procs) await p.stop(10_000).catch(() => {});
    if (process.env.BENCH_KEEP_DIR === undefined) await rm(dir, { recursive: true, force: true });
    else console.log(`scale: kept ${dir}`);
  }
}

/** The result as table rows: figure, value, target of issue 13, met or not (null: no target). */
export function scaleRows(r: ScaleResult): Array<[string, string, string, boolean | null]> {
  const rows: Array<[string, string, string, boolean | null]> = [];
  const route = (name: string): LoadResult => r.routes[name] as LoadResult;
  rows.push([`start on ${r.certificates} certificates`, `${r.startSeconds} s`, "≤ 5 s", r.startSeconds <= 5]);
  rows.push(["JS heap after the query load", `${r.afterLoad.heapUsedMb} MB`, "≤ 300 MB", r.afterLoad.heapUsedMb <= 300]);
  rows.push(["anonymous RSS after the query load", `${r.afterLoad.rssAnonMb} MB`, "≤ 300 MB", r.afterLoad.rssAnonMb <= 300]);
  for (const name of ["GET /certificates/:id", "GET /verify/:id"]) {
    const big = route(name);
    const ref = r.small[name] as LoadResult;
    const ratio = Math.round((big.perSecond / ref.perSecond) * 100) / 100;
    rows.push([
      `${name} (vs 1,000-cert chain: ${ref.perSecond}/s)`,
      `${big.perSecond}/s, ratio ${ratio}, p99 ${big.p99Ms} ms`,
      "ratio ≥ 0.85, p99 ≤ 5 ms",
      ratio >= 0.85 && big.p99Ms <= 5,
    ]);
  }
  const proof = route("GET /certificates/:id/proof");
  rows.push(["GET /certificates/:id/proof", `${proof.perSecond}/s, p99 ${proof.p99Ms} ms`, "≥ 5,000/s", proof.perSecond >= 5000]);
  const tx = route("GET /txs/:hash");
  rows.push(["GET /txs/:hash", `${tx.perSecond}/s, p99 ${tx.p99Ms} ms`, "≥ 10,000/s", tx.perSecond >= 10_000]);
  const block = route("GET /blocks/:h");
  rows.push(["GET /blocks/:h (100-tx blocks)", `${block.perSecond}/s, p99 ${block.p99Ms} ms`, "none (issue 13 measured ~1,300/s at 1M)", null]);
  const auditRatio = Math.round((r.audit.large.txPerSecond / r.audit.tenth.txPerSecond) * 100) / 100;
  rows.push([
    `audit rate at N vs N/10`,
    `${r.audit.large.txPerSecond} vs ${r.audit.tenth.txPerSecond} tx/s, ratio ${auditRatio}`,
    "ratio ≥ 0.75 (linear)",
    auditRatio >= 0.75,
  ]);
  rows.push(["audit peak RSS at N", `${r.audit.large.peakRssMb} MB (${r.audit.large.seconds} s)`, "≤ 1 GB", r.audit.large.peakRssMb <= 1024]);
  rows.push(["backup peak RSS", `${r.backup.peakRssMb} MB (${r.backup.seconds} s, ${r.backup.fileMb} MB file)`, "≤ 300 MB", r.backup.peakRssMb <= 300]);
  rows.push(["restore peak RSS", `${r.restore.peakRssMb} MB (${r.restore.seconds} s)`, "≤ 300 MB", r.restore.peakRssMb <= 300]);
  const [first, last] = [r.growth[0], r.growth.at(-1)];
  if (first !== undefined && last !== undefined) {
    const total = (g: typeof first): number => Math.round((g.executeMs + g.applyMs) * 100) / 100;
    rows.push([
      `a 100-tx block's execute + commit, build's first tenth → last (${first.certificates} → ${last.certificates} certificates)`,
      `${first.executeMs} + ${first.applyMs} → ${last.executeMs} + ${last.applyMs} ms (×${(total(last) / total(first)).toFixed(1)})`,
      "none: how a block's cost grows with the store",
      null,
    ]);
  }
  const errors = Object.values(r.routes).reduce((n, l) => n + l.errors, 0) + Object.values(r.small).reduce((n, l) => n + l.errors, 0);
  rows.push(["answers other than 200 during the load", `${errors}`, "0", errors === 0]);
  return rows;
}
