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
 *        --cpu-prof DIR (write a V8 CPU profile of every node process into DIR, `node --cpu-prof`;
 *        read them with Chrome DevTools or `node scripts/cpu-profile-top.mjs DIR/*.cpuprofile`)
 *        --steps F,F,… (0.25,0.5,0.75,1,1.25,1.5: the stepped load, fractions of the measured
 *        throughput, each paced for --step-seconds S (8); drawn as an SVG beside the JSON)
 *        --base-port P (the testnet's, 26600) --catchup-port P (27600)
 *        --smoke: every phase in seconds (CI's check that the bench still runs; figures meaningless)
 *        --scale N: only the node holding N certificates (bench/scale.ts), with --scale-seconds S (5,
 *        load per route), --scale-connections N (16) and --scale-port P (27700)
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
import { defaultTestnetOptions } from "../testnet/options.js";
import { startTestnet } from "../testnet/testnet.js";
import { cpuPerTx, readCpu } from "./cpu-time.js";
import { type CatchUpResult, measureCatchUp } from "./catch-up.js";
import { measureMachine } from "./machine.js";
import { type LoadStep, renderLoadChart } from "./load-chart.js";
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

/**
 * Post a batch; returns the transactions the node refused because its mempool was full (a 200 batch
 * answer carries them as per-item MEMPOOL_FULL errors), for the caller to offer again.
 */
async function post(url: string, txs: Transaction[]): Promise<Transaction[]> {
  const body = JSON.stringify({ txs });
  const res = await fetchHonouringRetryAfter(`${url}/txs`, () => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(30_000),
  }));
  if (!res.ok) throw new LedgerError("BAD_ANSWER", `POST /txs → ${res.status} ${await res.text()}`);
  const answer = (await res.json()) as { results?: Array<{ error?: { code?: string } }> };
  return txs.filter((_, i) => answer.results?.[i]?.error?.code === "MEMPOOL_FULL");
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

interface PacedResult {
  committedPerS: number;
  p50: number;
  p99: number;
  samples: number;
  notCommitted: number;
}

/**
 * Offers `txs` at `rate` tx/s (what is due every 20 ms), spread over the nodes, then waits for the mempools to
 * drain. Latency: from a transaction's post to the watcher first seeing it in a block; committed
 * tx/s: every transaction committed during the paced window (a backlog included).
 */
async function pacedRun(urls: string[], watcher: ChainWatcher, txs: Transaction[], rate: number): Promise<PacedResult> {
  const sentAt = new Map<string, number>();
  const t0 = performance.now();
  let sent = 0;
  let turn = 0;
  while (sent < txs.length) {
    // Every 20 ms, whatever is due by now: transaction i is due at t0 + i / rate.
    const due = Math.min(txs.length, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
    if (due > sent) {
      const slice = txs.slice(sent, due);
      const at = performance.now();
      for (const tx of slice) sentAt.set(txHash(tx), at);
      post(urls[turn++ % urls.length] as string, slice).catch((err: unknown) => console.error(`submit failed: ${(err as Error).message}`));
      sent = due;
    }
    if (sent < txs.length) await sleep(20);
  }
  const t1 = Math.max(performance.now(), t0 + (txs.length / rate) * 1000);
  await waitDrained(urls);
  await sleep(200);
  const latencies: number[] = [];
  for (const [hash, at] of sentAt) {
    const seen = watcher.seenAt.get(hash);
    if (seen !== undefined) latencies.push(seen - at);
  }
  latencies.sort((a, b) => a - b);
  return {
    committedPerS: Math.round((watcher.committedBetween(t0, t1) / (t1 - t0)) * 1000),
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
    samples: latencies.length,
    notCommitted: sentAt.size - latencies.length,
  };
}

/** `--help`: the flags of the header comment above. */
const USAGE = `usage: npm run bench -- [flags]
  --nodes N               validators of the testnet (4)
  --duration S            measured window of the throughput phase (30)
  --latency-duration S    paced half-load window for commit latency (15)
  --steps F,F,...         stepped load, fractions of the measured throughput (0.25,0.5,0.75,1,1.25,1.5)
  --step-seconds S        seconds per step (8)
  --catchup-blocks N      blocks of the catch-up chain (10000; 0 skips catch-up)
  --catchup-txs N         transactions per catch-up block (10)
  --out FILE              the figures as JSON (bench-results/bench-<time>.json), with an SVG beside it
  --cpu-prof DIR          a V8 CPU profile of every node process (read with scripts/cpu-profile-top.mjs)
  --base-port P           first port of the testnet (26600); --catchup-port P (27600)
  --smoke                 every phase in seconds (CI's check that the bench runs; figures meaningless)
  --scale N               only the node holding N certificates, with --scale-seconds S (5),
                          --scale-connections N (16) and --scale-port P (27700: its four nodes' first port)
  --help                  this text`;

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseBenchArgs>;
  try {
    parsed = parseBenchArgs();
  } catch (err) {
    // A mistyped flag is the user's error, not the bench's: say which, with the usage, and no stack.
    console.error(`bench: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const { values } = parsed;
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  // Ctrl-C or a kill: exit, so the exit hook of testnet/node-process.ts stops every node the bench runs.
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.once(signal, () => {
      console.error(`bench: ${signal}: stopping its node processes`);
      process.exit(code);
    });
  }
  await benchMain(values);
}

function parseBenchArgs() {
  return parseArgs({
    options: {
      nodes: { type: "string", default: "4" },
      duration: { type: "string" },
      "latency-duration": { type: "string" },
      "catchup-blocks": { type: "string" },
      "catchup-txs": { type: "string", default: "10" },
      out: { type: "string" },
      "cpu-prof": { type: "string" },
      scale: { type: "string" },
      "scale-seconds": { type: "string", default: "5" },
      "scale-connections": { type: "string", default: "16" },
      "scale-port": { type: "string", default: "27700" },
      steps: { type: "string" },
      "step-seconds": { type: "string" },
      "base-port": { type: "string", default: String(defaultTestnetOptions.basePort) },
      "catchup-port": { type: "string", default: "27600" },
      smoke: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
}

async function benchMain(values: ReturnType<typeof parseBenchArgs>["values"]): Promise<void> {
  const smoke = values.smoke === true;
  // --smoke: the same phases in seconds, unless a flag is given explicitly.
  const pick = (flag: string | undefined, normal: string, short: string): number => Number(flag ?? (smoke ? short : normal));
  if (values.scale !== undefined) {
    await benchScale(Number(values.scale), Number(values["scale-seconds"]), Number(values["scale-connections"]), Number(values["scale-port"]), values.out);
    return;
  }
  const nodes = Number(values.nodes);
  const profDir = values["cpu-prof"];
  const nodeFlags = profDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profDir}`];
  const duration = pick(values.duration, "30", "3") * 1000;
  const latencyDuration = pick(values["latency-duration"], "15", "3") * 1000;
  const stepSeconds = pick(values["step-seconds"], "8", "3");
  const fractions = (values.steps ?? (smoke ? "0.5,1.5" : "0.25,0.5,0.75,1,1.25,1.5")).split(",").map(Number);
  if (fractions.some((f) => !(f > 0))) throw new LedgerError("BAD_ARGUMENT", "--steps takes positive fractions, e.g. 0.5,1,1.5");
  const dir = await mkdtemp(join(tmpdir(), "certchain-bench-net-"));
  console.log(`certchain bench: ${nodes} nodes, throughput window ${duration / 1000} s, latency window ${latencyDuration / 1000} s`);
  // No review rules: the load is independent licences (review reads are measured in stories/unit tests).
  const net = await startTestnet({ nodes, dir, quiet: true, reviewRules: null, nodeFlags, basePort: Number(values["base-port"]) });
  try {
    const spec = await loadGenesis(net.info.genesisFile);
    const keys = new Map<string, KeyFile>();
    for (const i of net.info.issuers) keys.set(i.department, await loadKeyFile(i.keyFile, { allowPlaintext: true }));
    const urls = net.info.nodes.map((n) => n.rpcUrl);

    // Machine limits, measured now, in this run (the testnet is idle meanwhile).
    console.log("measuring this machine: Ed25519 verify rate and single-validator pipeline…");
    const machine = await measureMachine(spec, presign(spec, keys, smoke ? 2000 : 6000, "pipeline"), nodes, smoke ? 300 : 2000);

    // Phase 1: throughput. Offer more than the cluster can take, with bounded concurrency.
    const warmup = smoke ? 1000 : 5000;
    const total = Math.ceil(((duration + warmup) / 1000) * machine.clusterCeiling * 1.3) + (smoke ? 400 : 4000);
    console.log(`pre-signing ${total} issue transactions from ${SAMPLES.length} departments…`);
    const load = presign(spec, keys, total, "tput");
    const watcher = new ChainWatcher(urls[0] as string);
    watcher.start((await getJson<{ head: { height: number } }>(`${urls[0]}/status`)).head.height);
    const batch = 200;
    // Below half of a node's default pool (mempool.maxTxs 10,000): a full pool refuses, and a refused
    // transaction is offered again (`refused`), so every pre-signed one reaches the chain or stays unsent.
    const backlog = 5_000;
    const refused: Transaction[] = [];
    let next = 0;
    let stopOffering = false;
    const t0 = performance.now();
    let failedPosts = 0;
    const offer = async (w: number): Promise<void> => {
      const url = urls[w % urls.length] as string;
      while (!stopOffering && (next < load.length || refused.length > 0)) {
        try {
          const mempool = (await getJson<{ mempool: { size: number } }>(`${url}/status`)).mempool.size;
          if (mempool > backlog) {
            await sleep(50); // keep the backlog bounded: we measure commits, not queueing
            continue;
          }
          // Another worker may have taken the rest while this one waited for /status: never an empty batch.
          let slice = refused.splice(0, batch);
          if (slice.length === 0) {
            slice = load.slice(next, next + batch);
            next += slice.length;
          }
          if (slice.length === 0) break;
          refused.push(...(await post(url, slice)));
        } catch (err) {
          failedPosts++;
          console.error(`submit to ${url} failed: ${(err as Error).message}`);
        }
      }
    };
    const offering = Promise.all(urls.map((_, w) => offer(w)));
    const pids = (): (number | null)[] => net.info.nodes.map((n) => n.pid);
    await sleep(warmup);
    const cpuFrom = await readCpu(pids());
    await sleep(duration);
    stopOffering = true;
    await offering;
    const tEnd = performance.now();
    const cpuTo = await readCpu(pids());
    const measured = watcher.committedBetween(t0 + warmup, tEnd);
    const cpu = cpuPerTx(cpuFrom, cpuTo, measured, nodes);
    const sample = load.slice(0, 100);
    const txJsonBytes = Math.round(sample.reduce((sum, tx) => sum + Buffer.byteLength(JSON.stringify(tx)), 0) / sample.length);
    const throughput = Math.round((measured / (tEnd - t0 - warmup)) * 1000);
    console.log(
      `throughput: ${throughput} tx/s committed over ${((tEnd - t0 - warmup) / 1000).toFixed(1)} s (${measured} txs; ${load.length - next + refused.length} pre-signed left unsent)`,
    );
    // Let the backlog drain before measuring latency.
    await waitDrained(urls);

    // Phase 2: latency at about half the measured throughput, paced in 20 ms ticks.
    const rate = Math.max(10, Math.round(throughput / 2));
    const half = await pacedRun(urls, watcher, presign(spec, keys, Math.ceil((rate * latencyDuration) / 1000), "lat"), rate);
    const { p50, p99, samples: latencySamples, notCommitted: lost } = half;

    // Phase 3: the stepped load, each step paced, then drained, so a step starts with no backlog.
    const steps: LoadStep[] = [];
    for (const [k, fraction] of fractions.entries()) {
      const stepRate = Math.max(10, Math.round(throughput * fraction));
      const run = await pacedRun(urls, watcher, presign(spec, keys, Math.ceil(stepRate * stepSeconds), `step${k}`), stepRate);
      steps.push({ fraction, offeredPerS: stepRate, committedPerS: run.committedPerS, p50Ms: run.p50, p99Ms: run.p99, notCommitted: run.notCommitted });
      console.log(`step ${fraction}×: offered ${stepRate} tx/s → committed ${run.committedPerS} tx/s, p50 ${run.p50} ms, p99 ${run.p99} ms`);
    }
    await watcher.stop();

    const heads = await Promise.all(urls.map((u) => getJson<{ head: { height: number; hash: string } }>(`${u}/status`)));
    const agree = new Set(heads.map((h) => h.head.hash)).size === 1;
    await net.stop();

    // Phase 4: catch-up of a wiped validator over a long chain.
    const catchupBlocks = pick(values["catchup-blocks"], "10000", "50");
    let catchUp: CatchUpResult | null = null;
    if (catchupBlocks > 0) {
      catchUp = await measureCatchUp({
        blocks: catchupBlocks,
        txsPerBlock: Number(values["catchup-txs"]),
        basePort: Number(values["catchup-port"]),
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
      cpu: {
        ...cpu,
        perValidatorToPipeline: Math.round((cpu.perValidatorMicrosPerTx / machine.pipelineMicrosPerTx) * 100) / 100,
        txJsonBytes,
        loopbackCopiesPerTx: cpu.loopbackBytesPerTx === null ? null : Math.round((cpu.loopbackBytesPerTx / txJsonBytes) * 10) / 10,
      },
      latency: { offeredTxPerSecond: rate, samples: latencySamples, p50Ms: p50, p99Ms: p99, notCommitted: lost },
      steps,
      smoke,
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
    console.log(`| commit latency at ${rate} tx/s offered, p50 / p99 | ${p50} ms / ${p99} ms (${latencySamples} txs, ${lost} not committed) |`);
    console.log(`| node:crypto Ed25519 verify, one core (this run) | ${machine.verifyPerSecond}/s |`);
    console.log(
      `| single-validator pipeline (parse, check, verify, Merkle, execute, store) | ${machine.pipelineMicrosPerTx} µs/tx → ${machine.pipelineCeilingPerCore} tx/s per core |`,
    );
    console.log(
      `| of it, the state root's update per block of 1,000 (read + hash) | ${machine.stateRootMicrosPerTx} µs/tx = ${Math.round((machine.stateRootMicrosPerTx / machine.pipelineMicrosPerTx) * 1000) / 10} % of the pipeline; without it ${machine.pipelineCeilingPerCoreWithoutStateRoot} tx/s per core |`,
    );
    console.log(`| cluster ceiling: ${machine.cores} cores × pipeline ÷ ${nodes} validators | ${machine.clusterCeiling} tx/s |`);
    console.log(`| throughput ÷ cluster ceiling | ${result.ratios.throughputToClusterCeiling} |`);
    const machineCpu =
      cpu.machineMicrosPerTx === null ? "" : `; the whole machine ${cpu.machineMicrosPerTx} µs (${Math.round((cpu.machineBusyShare ?? 0) * 100)} % busy)`;
    console.log(
      `| CPU per committed tx in the throughput window: ${nodes} node processes, the bench client${cpu.incomplete ? " (a node process unreadable)" : ""} | ${cpu.nodesMicrosPerTx} µs, ${cpu.clientMicrosPerTx} µs${machineCpu} |`,
    );
    console.log(
      `| a validator's CPU per committed tx ÷ the single-validator pipeline | ${cpu.perValidatorMicrosPerTx} ÷ ${machine.pipelineMicrosPerTx} µs = ${result.cpu.perValidatorToPipeline} |`,
    );
    if (cpu.loopbackBytesPerTx !== null)
      console.log(
        `| loopback bytes per committed tx in the window ÷ a transaction's JSON (${txJsonBytes} bytes); ${2 * nodes} would be one post, ${nodes - 1} gossip copies, ${nodes - 1} in proposals, one to the block watcher | ${cpu.loopbackBytesPerTx} bytes = ${result.cpu.loopbackCopiesPerTx} |`,
      );
    for (const st of steps)
      console.log(
        `| stepped load ${st.fraction}× (${stepSeconds} s): offered → committed, p50 / p99 | ${st.offeredPerS} → ${st.committedPerS} tx/s, ${st.p50Ms} / ${st.p99Ms} ms (${st.notCommitted} not committed) |`,
      );
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
    const chart = out.replace(/\.json$/, "") + ".svg";
    await writeFile(
      chart,
      renderLoadChart(`certchain bench ${result.date.slice(0, 10)}: ${nodes} validators, ${machine.cores} cores${smoke ? " (smoke)" : ""}`, steps),
    );
    console.log(`\nwritten to ${out} and ${chart}`);
    if (!agree || catchUp?.sameHead === false) process.exitCode = 1;
  } finally {
    await net.stop();
    if (process.env.BENCH_KEEP_DIR === undefined) await rm(dir, { recursive: true, force: true });
    else console.log(`testnet kept in ${dir}`);
  }
}

/** `--scale N`: the node holding N certificates, its figures next to issue 13's targets. */
async function benchScale(certificates: number, seconds: number, connections: number, basePort: number, outFile: string | undefined): Promise<void> {
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
  // A TestnetError carries the failing node's log tail: without it a node that exited says nothing.
  const detail = (err as { detail?: unknown }).detail;
  if (typeof detail === "string") console.error(detail);
  process.exit(1);
});
