/**
 * Catch-up rate: a node process holding a long chain (testnet/long-chain.ts) and a validator process
 * with an empty data directory; the time for the second to sync every block over libp2p, checking
 * each commit certificate and transaction. Reported with the limit the same machine allows: every
 * synced block costs (quorum seals + transactions) Ed25519 verifications, and the syncing node
 * spreads them over every core (its verify workers), so the limit is cores × one core's verify rate
 * ÷ verifications per block.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LedgerError } from "../node/errors.js";
import { initChainNetwork } from "./chain-network.js";
import { writeLongChain } from "../testnet/long-chain.js";
import { NodeProcess } from "../testnet/node-process.js";

export interface CatchUpResult {
  blocks: number;
  txsPerBlock: number;
  buildSeconds: number;
  syncSeconds: number;
  blocksPerSecond: number;
  txPerSecond: number;
  /** Ed25519 verifications per synced block (quorum seals + transactions). */
  verifiesPerBlock: number;
  /** What all cores' verify rate allows: cores × verifyPerSecond ÷ verifiesPerBlock. */
  verifyLimitBlocksPerSecond: number;
  /** Cores counted in the limit. */
  cores: number;
  /** blocksPerSecond ÷ verifyLimitBlocksPerSecond. */
  ratioToLimit: number;
  sameHead: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function head(url: string): Promise<{ height: number; hash: string } | null> {
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(5000) });
    return ((await res.json()) as { head: { height: number; hash: string } }).head;
  } catch {
    return null;
  }
}

export async function measureCatchUp(opts: {
  blocks: number;
  txsPerBlock: number;
  basePort: number;
  verifyPerSecond: number;
  /** Cores of this machine (the syncing node verifies on all of them). */
  cores: number;
  cli: string;
  /** Extra flags for both node processes' `node` executable (e.g. --cpu-prof). */
  nodeFlags?: string[];
}): Promise<CatchUpResult> {
  const dir = await mkdtemp(join(tmpdir(), "certchain-bench-catchup-"));
  const procs: NodeProcess[] = [];
  try {
    const { net, spec, validatorKeys: keys, issuer } = await initChainNetwork(dir, "bench-catchup", opts.basePort);
    const [source, target] = [net.nodes[0], net.nodes[3]] as [(typeof net.nodes)[0], (typeof net.nodes)[0]];
    console.log(`catch-up: building ${opts.blocks} blocks of ${opts.txsPerBlock} transactions…`);
    const b0 = performance.now();
    const chain = await writeLongChain({
      spec,
      validatorKeys: keys,
      issuer,
      dataDir: join(source.home, "data"),
      blocks: opts.blocks,
      txsPerBlock: opts.txsPerBlock,
    });
    const buildSeconds = (performance.now() - b0) / 1000;
    const spawnNode = (n: typeof source): NodeProcess => {
      const p = new NodeProcess(
        n.name,
        [process.execPath, ...(opts.nodeFlags ?? []), opts.cli, "start", "--home", n.home, "--plaintext-keys", "--log-level", "warn"],
        join(dir, `${n.name}.log`),
        (exit) => {
          console.error(`${n.name} exited unexpectedly: ${JSON.stringify(exit)}`);
        },
      );
      p.start();
      procs.push(p);
      return p;
    };
    spawnNode(source);
    while ((await head(source.rpcUrl))?.height !== chain.height) await sleep(100);
    console.log("catch-up: source ready; starting the wiped validator…");
    const t0 = performance.now();
    spawnNode(target);
    let reached: { height: number; hash: string } | null = null;
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline) {
      reached = await head(target.rpcUrl);
      if (reached !== null && reached.height >= chain.height) break;
      await sleep(100);
    }
    const syncSeconds = (performance.now() - t0) / 1000;
    if (reached === null || reached.height < chain.height)
      throw new LedgerError("TIMEOUT", `catch-up did not finish: at ${reached?.height ?? "?"} of ${chain.height}`);
    const verifiesPerBlock = spec.validatorSetAt(1).quorum + opts.txsPerBlock;
    const limit = (opts.cores * opts.verifyPerSecond) / verifiesPerBlock;
    return {
      blocks: chain.height,
      txsPerBlock: opts.txsPerBlock,
      buildSeconds: Math.round(buildSeconds * 10) / 10,
      syncSeconds: Math.round(syncSeconds * 10) / 10,
      blocksPerSecond: Math.round(chain.height / syncSeconds),
      txPerSecond: Math.round(chain.txs / syncSeconds),
      verifiesPerBlock,
      verifyLimitBlocksPerSecond: Math.round(limit),
      cores: opts.cores,
      ratioToLimit: Math.round((chain.height / syncSeconds / limit) * 100) / 100,
      sameHead: reached.hash === chain.hash,
    };
  } finally {
    for (const p of procs) await p.stop(10_000).catch(() => {});
    if (process.env.BENCH_KEEP_DIR === undefined) await rm(dir, { recursive: true, force: true });
    else console.log(`catch-up network kept in ${dir}`);
  }
}
