/**
 * `npm run bench`: a 4-node testnet driven with pre-signed issue transactions from several
 * departments. Prints committed tx/s sustained over the measuring window, commit latency p50/p99 at
 * about half that load, and — measured in the same run — this machine's node:crypto Ed25519 verify
 * rate and the single-validator pipeline ceiling, with the ratios. Writes the figures as JSON.
 *
 * Then the catch-up rate of a wiped validator over a long chain (bench/catch-up.ts).
 *
 * Flags: --nodes N (4) --duration S (30, the measured window of the throughput phase)
 *        --latency-duration S (15) --catchup-blocks N (10000, 0 to skip) --catchup-txs N (10 per block)
 *        --out FILE (bench-results/bench-<time>.json)
 *        --base-port P (26600: the testnet uses P… and P+100…, the catch-up P+1000…, the scale run P+1100…)
 *        --cpu-prof DIR (write a V8 CPU profile of every node process into DIR, `node --cpu-prof`;
 *        read them with Chrome DevTools or `node scripts/cpu-profile-top.mjs DIR/*.cpuprofile`)
 *        --scale N: only the node holding N certificates (bench/scale.ts), with --scale-seconds S (5,
 *        load per route) and --scale-connections N (16)
 */
import { fetchHonouringRetryAfter } from "../testnet/retry.js";
import "../node/polyfill.js";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type CertificateDocument, issuePayloadFor } from "../node/chain/document.js";
import { newSalt } from "../node/ledger/fresh.js";
import type { ChainSpec } from "../node/chain/genesis.js";
import { loadGenesis } from "../node/ledger/genesis-file.js";
import { signTx, txHash } from "../node/chain/tx.js";
import { newTxEnvelope } from "../node/ledger/fresh.js";
import type { IssueTxBody, PublicFieldValue, Transaction } from "../node/chain/types.js";
import { type KeyFile, loadKeyFile } from "../node/keys/key-file.js";
import { LedgerError } from "../node/errors.js";
import { startTestnet } from "../testnet/testnet.js";
import { type CatchUpResult, measureCatchUp } from "./catch-up.js";
import { measureMachine } from "./machine.js";
import { measureScale, scaleRows } from "./scale.js";

const DAY = 86_400_000;

interface Sample {
  type: string;
  department: string;
  fields: Record<string, PublicFieldValue>;
}

/** One certificate of each kind, so the load comes from several departments. */
const SAMPLES: Sample[] = [
  { type: "identity-proof", department: "public-security", fields: { dateOfBirth: "1990-03-07", gender: "F" } },
  {
    type: "business-licence",
    department: "market-regulation",
    fields: {
      enterpriseName: "Bench Trading Co., Ltd.",
      unifiedSocialCreditCode: "91330100MA2XXXXX1X",
      enterpriseType: "Limited liability company",
      address: "1 Bench Road, Hangzhou",
      legalRepresentative: "Wang Wu",
    },
  },
  { type: "home-purchase-qualification", department: "housing", fields: { city: "Hangzhou", householdType: "local", maxHomes: 2 } },
  {
    type: "administrative-approval",
    department: "government-services",
    fields: { matter: "Outdoor advertising", decisionNumber: "HZ-2026-001", applicant: "Bench Co." },
  },
];

function presign(spec: ChainSpec, keys: Map<string, KeyFile>, count: number, tag: string): Transaction[] {
  const now = Date.now();
  const out: Transaction[] = [];
  for (let i = 0; i < count; i++) {
    const s = SAMPLES[i % SAMPLES.length] as Sample;
    const key = keys.get(s.department) as KeyFile;
    const doc: CertificateDocument = {
      version: 1,
      chainId: spec.chainId,
      certificateId: `BENCH-${tag}-${i}`,
      certificateType: s.type,
      department: s.department,
      holder: { name: `Holder ${i}`, idType: "resident-id", idNumber: `33010619900307${(i % 10000).toString().padStart(4, "0")}` },
      holderSalt: newSalt(),
      fields: s.fields,
      validFrom: now - DAY,
      validUntil: now + 180 * DAY, // within every type's maximum validity (365 days for a qualification)
    };
    const body: IssueTxBody = { ...newTxEnvelope(spec.chainId, s.department, key.publicKey, now), kind: "issue", payload: issuePayloadFor(spec, doc) };
    out.push(signTx(body, key.privateKey));
  }
  return out;
}

async function post(url: string, txs: Transaction[]): Promise<void> {
  const body = JSON.stringify({ txs });
  const res = await fetchHonouringRetryAfter(`${url}/txs`, () => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(30_000),
  }));
  if (!res.ok) throw new LedgerError("BAD_ANSWER", `POST /txs → ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetchHonouringRetryAfter(url, () => ({ signal: AbortSignal.timeout(10_000) }));
  if (!res.ok) throw new LedgerError("BAD_ANSWER", `GET ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Follows node 1's chain, recording when each block (and each transaction in it) was first seen. */
class ChainWatcher {
  height = 0;
  committed = 0;
  readonly seenAt = new Map<string, number>();
  readonly blocks: Array<{ height: number; txs: number; at: number }> = [];
  /** Polls that failed and were retried (reported with the figures). */
  pollFailures = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly url: string) {}

  start(from: number): void {
    this.height = from;
    this.loop = (async () => {
      // A failed poll (a connection reset or a timeout on a loaded machine) is retried: blocks are only
      // seen later, which counts against the cluster. A node unreachable for a minute ends the run.
      let failingSince: number | null = null;
      while (!this.stopped) {
        try {
          const status = await getJson<{ head: { height: number } }>(`${this.url}/status`);
          while (this.height < status.head.height) {
            const b = await getJson<{ block: { txs: Transaction[] } }>(`${this.url}/blocks/${this.height + 1}`);
            const at = performance.now();
            this.height++;
            this.committed += b.block.txs.length;
            this.blocks.push({ height: this.height, txs: b.block.txs.length, at });
            for (const tx of b.block.txs) this.seenAt.set(txHash(tx), at);
          }
          failingSince = null;
        } catch (err) {
          failingSince ??= performance.now();
          if (performance.now() - failingSince > 60_000) throw err;
          this.pollFailures++;
        }
        await sleep(10);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  committedBetween(t0: number, t1: number): number {
    return this.blocks.filter((b) => b.at >= t0 && b.at < t1).reduce((n, b) => n + b.txs, 0);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string", default: "4" },
      duration: { type: "string", default: "30" },
      "latency-duration": { type: "string", default: "15" },
      "catchup-blocks": { type: "string", default: "10000" },
      "catchup-txs": { type: "string", default: "10" },
      out: { type: "string" },
      "cpu-prof": { type: "string" },
      "base-port": { type: "string", default: "26600" },
      scale: { type: "string" },
      "scale-seconds": { type: "string", default: "5" },
      "scale-connections": { type: "string", default: "16" },
    },
  });
  if (values.scale !== undefined) {
    await benchScale(
      Number(values.scale),
      Number(values["scale-seconds"]),
      Number(values["scale-connections"]),
      values.out,
      Number(values["base-port"]) + 1100,
    );
    return;
  }
  const nodes = Number(values.nodes);
  const profDir = values["cpu-prof"];
  const nodeFlags = profDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profDir}`];
  const duration = Number(values.duration) * 1000;
  const latencyDuration = Number(values["latency-duration"]) * 1000;
  const dir = await mkdtemp(join(tmpdir(), "certchain-bench-net-"));
  console.log(`certchain bench: ${nodes} nodes, throughput window ${duration / 1000} s, latency window ${latencyDuration / 1000} s`);
  // No review rules: the load is independent licences (review reads are measured in stories/unit tests).
  const basePort = Number(values["base-port"]);
  const net = await startTestnet({ nodes, dir, quiet: true, reviewRules: null, nodeFlags, basePort });
  try {
    const spec = await loadGenesis(net.info.genesisFile);
    const keys = new Map<string, KeyFile>();
    for (const i of net.info.issuers) keys.set(i.department, await loadKeyFile(i.keyFile, { allowPlaintext: true }));
    const urls = net.info.nodes.map((n) => n.rpcUrl);

    // Machine limits, measured now, in this run (the testnet is idle meanwhile).
    console.log("measuring this machine: Ed25519 verify rate and single-validator pipeline…");
    const machine = await measureMachine(spec, presign(spec, keys, 6000, "pipeline"), nodes);

    // Phase 1: throughput. Offer more than the cluster can take, with bounded concurrency.
    const warmup = 5000;
    const total = Math.ceil(((duration + warmup) / 1000) * machine.clusterCeiling * 1.3) + 4000;
    console.log(`pre-signing ${total} issue transactions from ${SAMPLES.length} departments…`);
    const load = presign(spec, keys, total, "tput");
    const watcher = new ChainWatcher(urls[0] as string);
    watcher.start((await getJson<{ head: { height: number } }>(`${urls[0]}/status`)).head.height);
    const batch = 200;
    let next = 0;
    let stopOffering = false;
    const t0 = performance.now();
    let failedPosts = 0;
    const offer = async (w: number): Promise<void> => {
      const url = urls[w % urls.length] as string;
      while (!stopOffering && next < load.length) {
        try {
          const mempool = (await getJson<{ mempool: { size: number } }>(`${url}/status`)).mempool.size;
          if (mempool > 10_000) {
            await sleep(50); // keep the backlog bounded: we measure commits, not queueing
            continue;
          }
          const slice = load.slice(next, next + batch);
          next += slice.length;
          await post(url, slice);
        } catch (err) {
          failedPosts++;
          console.error(`submit to ${url} failed: ${(err as Error).message}`);
        }
      }
    };
    const offering = Promise.all(urls.map((_, w) => offer(w)));
    await sleep(warmup + duration);
    stopOffering = true;
    await offering;
    const tEnd = performance.now();
    const measured = watcher.committedBetween(t0 + warmup, tEnd);
    const throughput = Math.round((measured / (tEnd - t0 - warmup)) * 1000);
    console.log(
      `throughput: ${throughput} tx/s committed over ${((tEnd - t0 - warmup) / 1000).toFixed(1)} s (${measured} txs; ${load.length - next} pre-signed left unsent)`,
    );
    // Let the backlog drain before measuring latency.
    await waitDrained(urls);

    // Phase 2: latency at about half the measured throughput, paced in 20 ms ticks.
    const rate = Math.max(10, Math.round(throughput / 2));
    const paced = presign(spec, keys, Math.ceil((rate * latencyDuration) / 1000), "lat");
    const sentAt = new Map<string, number>();
    const tick = 20;
    const perTick = Math.max(1, Math.round((rate * tick) / 1000));
    const l0 = performance.now();
    let sent = 0;
    let turn = 0;
    while (sent < paced.length) {
      const due = l0 + (sent / perTick) * tick;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const slice = paced.slice(sent, sent + perTick);
      const at = performance.now();
      for (const tx of slice) sentAt.set(txHash(tx), at);
      post(urls[turn++ % urls.length] as string, slice).catch((err: unknown) => console.error(`submit failed: ${(err as Error).message}`));
      sent += slice.length;
    }
    await waitDrained(urls);
    await sleep(200);
    await watcher.stop();
    const latencies: number[] = [];
    for (const [hash, at] of sentAt) {
      const seen = watcher.seenAt.get(hash);
      if (seen !== undefined) latencies.push(seen - at);
    }
    latencies.sort((a, b) => a - b);
    const p50 = Math.round(percentile(latencies, 50));
    const p99 = Math.round(percentile(latencies, 99));
    const lost = sentAt.size - latencies.length;

    const heads = await Promise.all(urls.map((u) => getJson<{ head: { height: number; hash: string } }>(`${u}/status`)));
    const agree = new Set(heads.map((h) => h.head.hash)).size === 1;
    await net.stop();

    // Phase 3: catch-up of a wiped validator over a long chain.
    const catchupBlocks = Number(values["catchup-blocks"]);
    let catchUp: CatchUpResult | null = null;
    if (catchupBlocks > 0) {
      catchUp = await measureCatchUp({
        blocks: catchupBlocks,
        txsPerBlock: Number(values["catchup-txs"]),
        basePort: basePort + 1000,
        verifyPerSecond: machine.verifyPerSecond,
        cores: machine.cores,
        cli: fileURLToPath(new URL("../../bin/certchain.js", import.meta.url)),
        nodeFlags,
      });
    }
    const result = {
      date: new Date().toISOString(),
      nodes,
      cores: machine.cores,
      node: process.version,
      throughput: { committedTxPerSecond: throughput, windowSeconds: Math.round((tEnd - t0 - warmup) / 100) / 10, committedTxs: measured },
      latency: { offeredTxPerSecond: rate, samples: latencies.length, p50Ms: p50, p99Ms: p99, notCommitted: lost },
      machine,
      ratios: {
        throughputToClusterCeiling: Math.round((throughput / machine.clusterCeiling) * 100) / 100,
        throughputToVerifyRate: Math.round((throughput / machine.verifyPerSecond) * 100) / 100,
      },
      finalHeads: { height: heads[0]?.head.height, allNodesAgree: agree },
      watcherPollFailures: watcher.pollFailures,
      catchUp,
      failedSubmissions: failedPosts,
    };
    console.log("");
    console.log("| figure | value |");
    console.log("|---|---|");
    console.log(`| committed throughput (${nodes} nodes, sustained ${result.throughput.windowSeconds} s) | ${throughput} tx/s |`);
    console.log(`| commit latency at ${rate} tx/s offered, p50 / p99 | ${p50} ms / ${p99} ms (${latencies.length} txs, ${lost} not committed) |`);
    console.log(`| node:crypto Ed25519 verify, one core (this run) | ${machine.verifyPerSecond}/s |`);
    console.log(
      `| single-validator pipeline (parse, check, verify, Merkle, execute, store) | ${machine.pipelineMicrosPerTx} µs/tx → ${machine.pipelineCeilingPerCore} tx/s per core |`,
    );
    console.log(
      `| of it, the state root's update per block of 1,000 (read + hash) | ${machine.stateRootMicrosPerTx} µs/tx = ${Math.round((machine.stateRootMicrosPerTx / machine.pipelineMicrosPerTx) * 1000) / 10} % of the pipeline; without it ${machine.pipelineCeilingPerCoreWithoutStateRoot} tx/s per core |`,
    );
    console.log(`| cluster ceiling: ${machine.cores} cores × pipeline ÷ ${nodes} validators | ${machine.clusterCeiling} tx/s |`);
    console.log(`| throughput ÷ cluster ceiling | ${result.ratios.throughputToClusterCeiling} |`);
    console.log(`| all nodes at the same head after the run | ${agree ? "yes" : "NO"} (height ${result.finalHeads.height}) |`);
    if (watcher.pollFailures > 0) console.log(`| block polls of node 1 that failed and were retried | ${watcher.pollFailures} |`);
    if (catchUp !== null) {
      console.log(
        `| catch-up of a wiped validator: ${catchUp.blocks} blocks × ${catchUp.txsPerBlock} txs | ${catchUp.syncSeconds} s → ${catchUp.blocksPerSecond} blocks/s, ${catchUp.txPerSecond} tx/s (same head: ${catchUp.sameHead ? "yes" : "NO"}) |`,
      );
      console.log(
        `| its verify limit: ${catchUp.cores} cores ÷ (${catchUp.verifiesPerBlock} signatures per block) | ${catchUp.verifyLimitBlocksPerSecond} blocks/s |`,
      );
      console.log(`| catch-up ÷ its limit | ${catchUp.ratioToLimit} |`);
    }
    const out = values.out ?? join("bench-results", `bench-${result.date.replace(/[:.]/g, "-")}.json`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten to ${out}`);
    if (!agree || catchUp?.sameHead === false) process.exitCode = 1;
  } finally {
    await net.stop();
    if (process.env.BENCH_KEEP_DIR === undefined) await rm(dir, { recursive: true, force: true });
    else console.log(`testnet kept in ${dir}`);
  }
}

/** `--scale N`: the node holding N certificates, its figures next to issue 13's targets. */
async function benchScale(certificates: number, seconds: number, connections: number, outFile: string | undefined, basePort: number): Promise<void> {
  if (!Number.isSafeInteger(certificates) || certificates < 1000) throw new LedgerError("BAD_ARGUMENT", "--scale needs at least 1000 certificates");
  const result = await measureScale({
    certificates,
    basePort,
    cli: fileURLToPath(new URL("../../bin/certchain.js", import.meta.url)),
    connections,
    seconds,
  });
  console.log("");
  console.log(`| figure (${result.certificates} certificates, ${result.blocks} blocks; chain written in ${result.buildSeconds} s) | value | target | met |`);
  console.log("|---|---|---|---|");
  for (const [figure, value, target, met] of scaleRows(result))
    console.log(`| ${figure} | ${value} | ${target} | ${met === null ? "—" : met ? "yes" : "NO"} |`);
  const date = new Date().toISOString();
  const out = outFile ?? join("bench-results", `scale-${date.replace(/[:.]/g, "-")}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ date, ...result }, null, 2)}\n`);
  console.log(`\nwritten to ${out}`);
}

async function waitDrained(urls: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const sizes = await Promise.all(urls.map(async (u) => (await getJson<{ mempool: { size: number } }>(`${u}/status`)).mempool.size));
    if (sizes.every((s) => s === 0)) return;
    await sleep(100);
  }
  throw new LedgerError("TIMEOUT", "mempools did not drain within 120 s");
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
