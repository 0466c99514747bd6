/**
 * The chaos runner (`certchain chaos`, `npm run chaos`): a real testnet under a steady issuing load,
 * with faults injected on a seeded schedule (never more than F nodes at once), then healed; at the
 * end, every node must hold the same chain and every acknowledged certificate. `runChaos` is the
 * programmatic form (the e2e test); the CLI prints its summary and exits non-zero on a violation.
 */
import { resolve } from "node:path";
import { loadGenesis } from "../node/ledger/genesis-file.js";
import { type KeyFile, loadKeyFile } from "../node/keys/key-file.js";
import { checkAcknowledged, checkBlockHashes, checkEquivocations, waitForSameHead } from "./chaos-check.js";
import { FaultInjector, FaultQuota } from "./chaos-faults.js";
import { LoadGenerator } from "./chaos-load.js";
import { Reconfigurer } from "./chaos-reconfigure.js";
import { ProgressMonitor, type Violation } from "./chaos-monitor.js";
import {
  type ChaosOptions,
  checkChaosOptions,
  defaultChaosOptions,
  FAULT_BOUND_MS,
  LINK_FAULT_KINDS,
  maxFaulty,
  NODE_FAULT_KINDS,
  spareCount,
} from "./chaos-options.js";
import { SeededRandom, randomSeed } from "./chaos-random.js";
import { type ChaosSummary, countFaults, slowestFault, writeSummary } from "./chaos-report.js";
import { describeLink } from "./fault-proxy.js";
import { sleep } from "./chaos-rpc.js";
import { startTestnet } from "./testnet.js";

export { type ChaosSummary, formatSummary } from "./chaos-report.js";
export { type ChaosOptions, defaultChaosOptions } from "./chaos-options.js";

/** How long pending transactions are still confirmed after the load stops. */
const SETTLE_MS = 15_000;

/**
 * Fill in defaults: faulty = f of the node count, a fresh random seed; with a fault count and no
 * duration, an upper bound of FAULT_BOUND_MS per fault.
 */
export function resolveChaosOptions(options: Partial<ChaosOptions>): ChaosOptions {
  const nodes = options.nodes ?? defaultChaosOptions.nodes;
  const kinds = options.kinds ?? (options.link === undefined ? defaultChaosOptions.kinds : [...NODE_FAULT_KINDS, ...LINK_FAULT_KINDS]);
  const faultCount = options.faultCount ?? null;
  const durationMs = options.durationMs ?? (faultCount === null ? defaultChaosOptions.durationMs : faultCount * FAULT_BOUND_MS);
  const o: ChaosOptions = {
    ...defaultChaosOptions,
    ...options,
    nodes,
    kinds,
    faultCount,
    durationMs,
    faulty: options.faulty ?? maxFaulty(nodes),
    seed: options.seed ?? randomSeed(),
  };
  checkChaosOptions(o);
  return o;
}

/** Run one chaos experiment and return its summary (also written to <dir>/chaos-summary.json). */
export async function runChaos(options: Partial<ChaosOptions> = {}): Promise<ChaosSummary> {
  const o = resolveChaosOptions(options);
  const log = (line: string): void => {
    if (!o.quiet) console.error(line);
  };
  const violations: Violation[] = [];
  const onViolation = (v: Violation): void => {
    violations.push(v);
    log(`VIOLATION ${v.kind}: ${v.message}`);
  };
  const dir = resolve(o.dir);
  const span = o.faultCount === null ? `${o.durationMs / 1000} s` : `${o.faultCount} faults (at most ${o.durationMs / 1000} s)`;
  const spares = spareCount(o) === 0 ? "" : ` (and ${spareCount(o)} spare validator${spareCount(o) === 1 ? "" : "s"})`;
  log(`chaos: seed ${o.seed}, ${o.nodes} nodes${spares}, at most ${o.faulty} faulty, ${span}, ${o.rate} tx/s; testnet in ${dir}`);
  if (o.link !== undefined) log(`links through the fault proxy: ${describeLink(o.link)}`);
  const net = await startTestnet({
    nodes: o.nodes,
    spares: spareCount(o),
    dir,
    basePort: o.basePort,
    quiet: true,
    enableAdmin: true,
    consensus: { roundTimeoutMs: o.roundTimeoutMs },
    ...(o.link === undefined ? {} : { link: o.link }),
  });
  const urls = net.info.nodes.map((n) => n.rpcUrl);
  const t0 = Date.now();
  const monitor = new ProgressMonitor({ pollMs: o.pollMs, healProgressMs: o.healProgressMs }, { nodes: net.info.nodes, t0, onViolation, log });
  const reconfigurer = o.kinds.includes("reconfigure")
    ? new Reconfigurer({ net, liveNodes: () => faults.liveNodes(), rng: new SeededRandom(o.seed, "reconfigure"), log })
    : undefined;
  const faults = new FaultInjector({ net, monitor, t0, onViolation, log, ...(reconfigurer === undefined ? {} : { reconfigurer }) });
  // Nodes run in their own process groups: on Ctrl-C, wake paused ones and stop them all, not orphan them.
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the testnet; no summary`);
    faults.releasePaused();
    void net.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const spec = await loadGenesis(net.info.genesisFile);
    const issuers = new Map<string, KeyFile>();
    for (const i of net.info.issuers) issuers.set(i.department, await loadKeyFile(i.keyFile, { allowPlaintext: true }));
    const load = new LoadGenerator(
      { rate: o.rate, batchMs: o.batchMs },
      // Load goes to the nodes of genesis (spares follow or vote, they take no load of their own).
      { spec, issuers, urls, liveNodes: () => faults.liveNodes().filter((i) => net.info.nodes[i]?.role !== "spare"), rng: new SeededRandom(o.seed, "load") },
    );

    // Under load: F lanes of faults until the deadline (or until faultCount faults are done), each
    // fault healed and its node back at the cluster's head before its lane goes on.
    monitor.start();
    load.start();
    monitor.setLoad(true);
    const deadline = t0 + o.durationMs;
    const quota = o.faultCount === null ? undefined : new FaultQuota(o.faultCount);
    await Promise.all(Array.from({ length: o.faulty }, (_, lane) => faults.runLane(lane, new SeededRandom(o.seed, `lane-${lane}`), deadline, o, quota)));
    if (quota === undefined) await sleep(Math.max(0, deadline - Date.now()));
    // The last heals are judged under load too: keep it until each saw a new block (or overran its bound).
    while (monitor.openHeals > 0) await sleep(o.pollMs);
    const faultPhaseMs = Date.now() - t0;
    if (quota !== undefined && quota.done < quota.limit) {
      onViolation({
        kind: "fault-count",
        message:
          `only ${quota.done} of ${quota.limit} faults were injected, healed and caught up within the ${o.durationMs / 1000} s bound (--duration); ` +
          `the machine or the network is too slow for it: ${slowestFault(faults.records)}`,
      });
    }

    await load.stopOffering();
    monitor.setLoad(false);
    await load.settle(SETTLE_MS);
    log(`${((Date.now() - t0) / 1000).toFixed(1)} s  load stopped; waiting for every node to reach the same head`);

    const head = await waitForSameHead(net.info.nodes, o.convergeMs, onViolation);
    await monitor.stop();
    // Nodes that never caught up are reported already; compare the rest of the chain where all have it.
    const common = head?.height ?? Math.min(...monitor.lastHeads().map((h) => h?.height ?? 0));
    const acked = [...load.acknowledged.values()];
    const forkHeights = new Set(monitor.forkHeightsSeen());
    for (const h of await checkBlockHashes(net.info.nodes, common, onViolation)) forkHeights.add(h);
    const lost = await checkAcknowledged(
      net.info.nodes,
      acked.filter((a) => a.height <= common),
      onViolation,
    );
    const equivocations = await checkEquivocations(net.info.nodes, onViolation);
    const stats = load.summary();
    if (stats.acknowledged === 0) onViolation({ kind: "no-load", message: "no certificate was acknowledged, so the checks prove nothing" });
    // Every transaction the load signs is valid: a node refusing one for good is a bug (in the node or the load).
    if (stats.refused > 0) onViolation({ kind: "refused", message: `${stats.refused} valid transactions refused; first: ${stats.firstRefusal}` });
    if (stats.unconfirmed > 0) {
      onViolation({ kind: "refused", message: `${stats.unconfirmed} valid transactions never committed, e.g. ${stats.unconfirmedSample.join("; ")}` });
    }

    const progress = monitor.heals.map((h) => h.progressMs);
    const rejoin = monitor.heals.map((h) => h.rejoinMs);
    // Heals never followed by progress are violations already; the worst of the others is the figure.
    const worst = (xs: Array<number | null>): number | null => {
      const seen = xs.filter((x): x is number => x !== null);
      return seen.length === 0 ? null : Math.max(...seen) / 1000;
    };
    const summary: ChaosSummary = {
      ok: violations.length === 0,
      seed: o.seed,
      nodes: o.nodes,
      faulty: o.faulty,
      durationS: o.durationMs / 1000,
      faultCount: o.faultCount,
      faultPhaseS: faultPhaseMs / 1000,
      rate: o.rate,
      link: o.link ?? null,
      faults: countFaults(faults.records),
      faultsTotal: faults.records.length,
      blocks: head?.height ?? monitor.frontier,
      acknowledged: stats.acknowledged,
      lost,
      forks: forkHeights.size,
      equivocations,
      longestStallS: monitor.longestStallMs / 1000,
      longestStallFromS: monitor.longestStallFrom / 1000,
      slowestProgressAfterHealS: worst(progress),
      slowestRejoinS: worst(rejoin),
      load: stats,
      violations,
      dir,
      faultLog: faults.records,
      heals: monitor.heals,
      timeline: monitor.samples,
    };
    await writeSummary(summary);
    return summary;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await monitor.stop();
    faults.stopResets();
    faults.releasePaused();
    await net.stop();
  }
}
