/**
 * The soak runner (`npm run soak`, issue 14 item 2): a real 4-process testnet; its capacity measured
 * first by a stepped probe (or given); then load for --duration seconds shaped by the mode (soak: half
 * of capacity with a fault every few minutes; stress: steps to 2×; spike: 5× for 10 s), sampled every
 * --sample seconds (per node RSS, heap, event-loop lag from /metrics; commit latency and throughput
 * from the chain). At the end: every 2xx-accepted transaction committed, every node at the same head
 * (blocks are hash-chained, so the same head hash is the same chain), no node exited unasked. Writes
 * summary.json, samples.csv and chart.svg; `runSoak` is the programmatic form (the e2e smoke).
 */
import { resolve } from "node:path";
import { loadGenesis } from "../node/ledger/genesis-file.js";
import { type KeyFile, loadKeyFile } from "../node/keys/key-file.js";
import { checkAcknowledged, checkEquivocations, waitForSameHead } from "./chaos-check.js";
import { FaultInjector } from "./chaos-faults.js";
import { LoadGenerator } from "./chaos-load.js";
import { ProgressMonitor, type Violation } from "./chaos-monitor.js";
import { defaultChaosOptions } from "./chaos-options.js";
import { SeededRandom, randomSeed } from "./chaos-random.js";
import { call, sleep } from "./chaos-rpc.js";
import { readNode } from "./soak-metrics.js";
import { type SoakOptions, checkSoakOptions, defaultFaultEveryS, defaultSoakOptions, phaseAt, spikeWindow } from "./soak-options.js";
import { type PhaseFigures, type SoakSample, type SoakSummary, writeSoakFiles } from "./soak-report.js";
import { judgedSeries, memoryTrend, percentile } from "./soak-trend.js";
import { BlockWatcher } from "./soak-watch.js";
import { startTestnet } from "./testnet.js";
import { nameOf } from "./info.js";

export { formatSoakSummary, type SoakSummary } from "./soak-report.js";

const PROBE_START_RATE = 50;
/** Load before the first step counts: freshly started nodes are slower (measured: half the capacity). */
const PROBE_WARMUP_MS = 10_000;
const PROBE_STEP_MS = 10_000;
const PROBE_GROWTH = 1.5;
const DRAIN_MS = 90_000;
const SPOT_CHECKS = 200;
const BATCH_MS = 250;

/** Fill in defaults: a fresh seed, faults by mode, results under soak-results/. */
export function resolveSoakOptions(options: Partial<SoakOptions>): SoakOptions {
  const mode = options.mode ?? defaultSoakOptions.mode;
  const seed = options.seed ?? randomSeed();
  const o: SoakOptions = {
    ...defaultSoakOptions,
    faultEveryS: defaultFaultEveryS(mode),
    out: `soak-results/${mode}-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    ...options,
    mode,
    seed,
  };
  checkSoakOptions(o);
  return o;
}

/** Commit latencies and counts by the phase a transaction was offered in. */
interface PhaseTally {
  phase: string;
  from: number;
  to: number;
  offeredAtStart: number;
  offeredAtEnd: number;
  committedInWindow: number;
  acknowledged: number;
  latencies: number[];
}

/** Run one soak, stress or spike experiment and return its summary (also written to `out`). */
export async function runSoak(options: Partial<SoakOptions> = {}): Promise<SoakSummary> {
  const o = resolveSoakOptions(options);
  const log = (line: string): void => {
    if (!o.quiet) console.error(line);
  };
  const violations: Violation[] = [];
  const onViolation = (v: Violation): void => {
    violations.push(v);
    log(`VIOLATION ${v.kind}: ${v.message}`);
  };
  const dir = resolve(o.dir);
  log(`${o.mode}: seed ${o.seed}, ${o.nodes} nodes, ${o.durationS} s, sample every ${o.sampleS} s, fault every ${o.faultEveryS || "–"} s; testnet in ${dir}`);
  // The testnet's default round timeout (3 s): an overloaded machine must not turn load into round changes.
  const net = await startTestnet({ nodes: o.nodes, dir, basePort: o.basePort, quiet: true });
  const urls = net.info.nodes.map((n) => n.rpcUrl);
  const all = urls.map((_, i) => i);
  let faults: FaultInjector | null = null;
  const liveNodes = (): number[] => faults?.liveNodes() ?? all;
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the testnet; no summary`);
    faults?.releasePaused();
    void net.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  // Every block's transactions go to the load that offered them (the probe's, then the measured one).
  let load: LoadGenerator | null = null;
  let committedInWindow = 0;
  const blockSeen: Array<{ at: number; txs: number }> = [];
  const watcher = new BlockWatcher({
    urls,
    liveNodes,
    onBlock: (height, hashes, at) => {
      committedInWindow += hashes.length;
      blockSeen.push({ at, txs: hashes.length });
      for (const h of hashes) load?.markCommitted(h, height, at);
    },
  });
  let monitor: ProgressMonitor | null = null;
  try {
    const spec = await loadGenesis(net.info.genesisFile);
    const issuers = new Map<string, KeyFile>();
    for (const i of net.info.issuers) issuers.set(i.department, await loadKeyFile(i.keyFile, { allowPlaintext: true }));
    const head = await call<{ head?: { height?: unknown } }>(urls[0] as string, "/status", 5_000);
    const from = head.body?.head?.height;
    watcher.start(typeof from === "number" ? from : 0);

    // 1. Capacity: offered load stepped up by half each step until the cluster stops keeping up.
    let capacity = o.rate ?? 0;
    if (o.rate === undefined) {
      const probe = new LoadGenerator(
        { rate: PROBE_START_RATE, batchMs: BATCH_MS, idPrefix: "PROBE" },
        { spec, issuers, urls, liveNodes, rng: new SeededRandom(o.seed, "probe") },
      );
      load = probe;
      probe.start();
      await sleep(PROBE_WARMUP_MS);
      const probeEnd = Date.now() + o.probeMaxS * 1000;
      // Stop after two steps in a row below 80 % of the offer (the first step also fills the pipeline),
      // or once the backlog holds more than four seconds of load.
      let behind = 0;
      for (let rate = PROBE_START_RATE; Date.now() < probeEnd; rate *= PROBE_GROWTH) {
        probe.setRate(rate);
        committedInWindow = 0;
        await sleep(PROBE_STEP_MS);
        const committed = committedInWindow / (PROBE_STEP_MS / 1000);
        capacity = Math.max(capacity, committed);
        log(`probe: offered ${rate.toFixed(0)} tx/s, committed ${committed.toFixed(0)} tx/s, backlog ${probe.pendingCount}`);
        behind = committed < 0.8 * rate ? behind + 1 : 0;
        if (behind >= 2 || probe.pendingCount > 4 * rate) break;
      }
      await probe.stopOffering();
      await probe.settle(30_000);
      await drainMempools(urls, DRAIN_MS);
      log(`capacity: ${capacity.toFixed(0)} tx/s committed`);
    }
    if (!(capacity > 0)) throw new Error("the capacity probe saw nothing committed");

    // 2. The measured run.
    const t0 = Date.now();
    const tally = new Map<string, PhaseTally>();
    const phaseOf = (at: number): PhaseTally | undefined => [...tally.values()].find((p) => at >= p.from && at < p.to);
    const latencies: number[] = [];
    let windowLatencies: number[] = [];
    const spike = o.mode === "spike" ? spikeWindow(o.durationS, o.spikeS) : null;
    const spikeEnd = spike === null ? null : t0 + spike.to * 1000;
    let recoveredAt: number | null = null;
    const measured = new LoadGenerator(
      { rate: phaseAt(o.mode, 0, o.durationS, o.spikeS).factor * capacity, batchMs: BATCH_MS, idPrefix: "SOAK" },
      {
        spec,
        issuers,
        urls,
        liveNodes,
        rng: new SeededRandom(o.seed, "load"),
        onAcknowledged: (_hash, offeredAt, at) => {
          latencies.push(at - offeredAt);
          windowLatencies.push(at - offeredAt);
          const p = phaseOf(offeredAt);
          if (p !== undefined) {
            p.acknowledged++;
            p.latencies.push(at - offeredAt);
          }
          if (spikeEnd !== null && offeredAt < spikeEnd) recoveredAt = Math.max(recoveredAt ?? 0, at);
        },
      },
    );
    load = measured;
    monitor = new ProgressMonitor({ pollMs: 1_000, healProgressMs: 30_000 }, { nodes: net.info.nodes, t0, onViolation, log });
    // A soak never faults node1 (by name: the testnet lists nodes in genesis order), so its memory series covers the whole run.
    const node1 = Math.max(
      0,
      net.info.nodes.findIndex((n) => n.name === "node1"),
    );
    faults = new FaultInjector({ net, monitor, t0, onViolation, log, exempt: o.mode === "soak" ? [node1] : [] });
    const deadline = t0 + o.durationS * 1000;
    const samples: SoakSample[] = [];
    let lastSample = { at: t0, offered: 0 };
    committedInWindow = 0;
    const takeSample = async (): Promise<void> => {
      // The window closes now; the nodes' readings may take a while (a paused node times out).
      const now = Date.now();
      const span = Math.max(0.001, (now - lastSample.at) / 1000);
      const offered = measured.summary().submitted;
      const offeredPerS = (offered - lastSample.offered) / span;
      const committed = committedInWindow;
      const sorted = windowLatencies.sort((a, b) => a - b);
      const pending = measured.pendingCount;
      const active = (faults?.records ?? []).filter((r) => r.healedAt === null).map((r) => `${r.kind} ${r.name}`);
      windowLatencies = [];
      committedInWindow = 0;
      lastSample = { at: now, offered };
      const readings = await Promise.all(urls.map((u) => readNode(u)));
      samples.push({
        t: (now - t0) / 1000,
        phase: phaseAt(o.mode, (now - t0) / 1000 - 0.001, o.durationS, o.spikeS).phase,
        offeredPerS,
        committedPerS: committed / span,
        latencyP50Ms: percentile(sorted, 50),
        latencyP99Ms: percentile(sorted, 99),
        pending,
        faults: active,
        nodes: readings.map((r, i) => ({ ...r, pid: net.info.nodes[i]?.pid ?? null })),
      });
      const s = samples[samples.length - 1] as SoakSample;
      log(
        `${s.t.toFixed(0)} s  ${s.phase}: offered ${s.offeredPerS.toFixed(0)}/s, committed ${s.committedPerS.toFixed(0)}/s, p50 ${s.latencyP50Ms ?? "–"} ms, p99 ${s.latencyP99Ms ?? "–"} ms, backlog ${s.pending}, heap ${readings.map((r) => (r.heapUsedBytes === null ? "–" : (r.heapUsedBytes / 2 ** 20).toFixed(0))).join("/")} MB`,
      );
    };

    // Phases, crashes and samples on one clock loop; faults on their own lane.
    const crashed = new Set<number>();
    let current: PhaseTally | null = null;
    const tick = async (): Promise<void> => {
      let nextSample = t0 + o.sampleS * 1000;
      while (Date.now() < deadline) {
        const now = Date.now();
        const { phase, factor } = phaseAt(o.mode, (now - t0) / 1000, o.durationS, o.spikeS);
        if (current?.phase !== phase) {
          const offered = measured.summary().submitted;
          if (current !== null) {
            current.to = now;
            current.offeredAtEnd = offered;
          }
          current = {
            phase,
            from: now,
            to: Number.POSITIVE_INFINITY,
            offeredAtStart: offered,
            offeredAtEnd: offered,
            committedInWindow: 0,
            acknowledged: 0,
            latencies: [],
          };
          tally.set(phase, current);
          measured.setRate(factor * capacity);
          log(`${((now - t0) / 1000).toFixed(0)} s  phase ${phase}: ${(factor * capacity).toFixed(0)} tx/s offered`);
        }
        for (const i of all) {
          if (crashed.has(i) || net.info.nodes[i]?.pid !== null || !liveNodes().includes(i)) continue;
          crashed.add(i);
          onViolation({
            kind: "crash",
            message: `${nameOf(net.info.nodes, i)} exited at ${((now - t0) / 1000).toFixed(0)} s without a fault; see ${net.info.nodes[i]?.logFile}`,
          });
        }
        if (now >= nextSample) {
          nextSample += o.sampleS * 1000;
          await takeSample();
        }
        await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
      }
    };
    monitor.start();
    measured.start();
    monitor.setLoad(true);
    const lane =
      o.faultEveryS > 0
        ? faults.runLane(0, new SeededRandom(o.seed, "lane-0"), deadline, {
            ...defaultChaosOptions,
            faulty: 1,
            seed: o.seed,
            kinds: o.kinds,
            warmupMs: (o.faultEveryS * 1000) / 2,
            faultMinMs: o.faultMinS * 1000,
            faultMaxMs: o.faultMaxS * 1000,
            gapMinMs: Math.max(1_000, o.faultEveryS * 750 - o.faultMaxS * 1000),
            gapMaxMs: Math.max(1_000, o.faultEveryS * 1250 - o.faultMinS * 1000),
          })
        : Promise.resolve();
    await tick();
    // A fault in progress is healed before the load stops; the lane's next gap is not waited for
    // (past the deadline the lane injects nothing more).
    void lane.catch(() => undefined);
    while (faults.records.some((r) => r.healedAt === null && r.notes.length === 0)) await sleep(250);
    if (Date.now() - lastSample.at > 1_000) await takeSample(); // the run's last partial window
    const measuredEnd = Date.now();
    const last = current as PhaseTally | null;
    if (last !== null) {
      last.to = measuredEnd;
      last.offeredAtEnd = measured.summary().submitted;
    }
    while (monitor.openHeals > 0) await sleep(500);

    // 3. Stop offering; everything accepted must commit, everywhere.
    await measured.stopOffering();
    monitor.setLoad(false);
    log(`${((Date.now() - t0) / 1000).toFixed(0)} s  load stopped; settling ${measured.pendingCount} pending transactions`);
    // A backlog drains at about capacity: give it twice that, and never less than --settle.
    await measured.settle(Math.max(o.settleS * 1000, (measured.pendingCount / capacity) * 2_000 + 30_000));
    const same = await waitForSameHead(net.info.nodes, 120_000, onViolation);
    await watcher.stop();
    await monitor.stop();
    for (const p of tally.values()) p.committedInWindow = blockSeen.filter((b) => b.at >= p.from && b.at < p.to).reduce((n, b) => n + b.txs, 0);

    const stats = measured.summary();
    const acked = [...measured.acknowledged.values()];
    const lostHashes = [...measured.accepted].filter((h) => !measured.acknowledged.has(h));
    if (lostHashes.length > 0)
      onViolation({ kind: "lost", message: `${lostHashes.length} transactions answered 2xx were never committed, e.g. ${lostHashes.slice(0, 3).join(", ")}` });
    if (stats.refused > 0) onViolation({ kind: "refused", message: `${stats.refused} valid transactions refused; first: ${stats.firstRefusal}` });
    // Same head hash on every node = the same hash-chained blocks; a sample is also asked of every node.
    const rng = new SeededRandom(o.seed, "spot");
    const spot = acked.length <= SPOT_CHECKS ? acked : Array.from({ length: SPOT_CHECKS }, () => rng.pick(acked));
    const spotLost = await checkAcknowledged(net.info.nodes, spot, onViolation);
    const equivocations = await checkEquivocations(net.info.nodes, onViolation);
    if (stats.acknowledged === 0) onViolation({ kind: "no-load", message: "no transaction was committed, so the checks prove nothing" });

    const sortedAll = latencies.sort((a, b) => a - b);
    const phases: PhaseFigures[] = [...tally.values()].map((p) => {
      const secs = Math.max(0.001, (p.to - p.from) / 1000);
      const offered = p.offeredAtEnd - p.offeredAtStart;
      const sorted = p.latencies.sort((a, b) => a - b);
      return {
        phase: p.phase,
        fromS: (p.from - t0) / 1000,
        toS: (p.to - t0) / 1000,
        offeredPerS: offered / secs,
        committedPerS: p.committedInWindow / secs,
        successRate: offered === 0 ? null : Math.min(1, p.acknowledged / offered),
        latencyP50Ms: percentile(sorted, 50),
        latencyP99Ms: percentile(sorted, 99),
      };
    });
    const memory = all.map((i) => {
      const finalPid = samples[samples.length - 1]?.nodes[i]?.pid ?? null;
      // One process's series only: a restarted node starts again from a small heap.
      const own = samples.filter((s) => s.nodes[i]?.pid === finalPid && finalPid !== null);
      return {
        node: i,
        name: nameOf(net.info.nodes, i),
        samples: own.length,
        judged: judgedSeries(own[0]?.t, o.durationS),
        rss: memoryTrend(own.map((s) => [s.t, s.nodes[i]?.rssBytes ?? null] as const)),
        anon: memoryTrend(own.map((s) => [s.t, s.nodes[i]?.rssAnonBytes ?? null] as const)),
        heap: memoryTrend(own.map((s) => [s.t, s.nodes[i]?.heapUsedBytes ?? null] as const)),
      };
    });
    const rec = recoveredAt as number | null;
    const summary: SoakSummary = {
      ok: violations.length === 0,
      mode: o.mode,
      seed: o.seed,
      nodes: o.nodes,
      capacity,
      capacityMeasured: o.rate === undefined,
      durationS: o.durationS,
      sampleS: o.sampleS,
      offered: stats.submitted,
      accepted: measured.accepted.size,
      committed: stats.acknowledged,
      successRate: stats.submitted === 0 ? 0 : stats.acknowledged / stats.submitted,
      lost: lostHashes.length + spotLost,
      spotChecked: spot.length,
      forks: monitor.forkHeightsSeen().length,
      equivocations,
      crashes: crashed.size,
      answers: Object.fromEntries(measured.answers),
      followerRefused: Object.fromEntries(watcher.refused),
      latencyP50Ms: percentile(sortedAll, 50),
      latencyP99Ms: percentile(sortedAll, 99),
      phases,
      recoverS: spikeEnd === null || rec === null ? null : Math.max(0, (rec - spikeEnd) / 1000),
      faultsTotal: faults.records.length,
      faultLog: faults.records,
      memory,
      nodeNames: net.info.nodes.map((n) => n.name),
      memoryGrows: o.mode !== "soak" ? null : memory.some((m) => m.judged && ((m.anon.grows ?? m.rss.grows) === true || m.heap.grows === true)),
      blocks: same?.height ?? watcher.height,
      violations,
      samples,
      out: resolve(o.out),
    };
    await writeSoakFiles(summary);
    return summary;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await watcher.stop();
    await monitor?.stop();
    faults?.releasePaused();
    await net.stop();
  }
}

/** Wait until no node has a pending transaction (the probe's leftovers), at most `timeoutMs`. */
async function drainMempools(urls: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const sizes = await Promise.all(urls.map((u) => call<{ mempool?: { size?: unknown } }>(u, "/status", 5_000)));
    if (sizes.every((a) => a.status === 200 && a.body?.mempool?.size === 0)) return;
    await sleep(500);
  }
}
