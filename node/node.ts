/**
 * The composition root (style.md §6): one linear init — config → genesis → store → mempool →
 * consensus driver → network → sync → RPC — and close in reverse order.
 */
import "./polyfill.js";
import type { ChainSpec } from "./chain/genesis.js";
import { loadGenesis } from "./ledger/genesis-file.js";
import { Mempool } from "./ledger/mempool.js";
import { TxGossip } from "./ledger/tx-gossip.js";
import { type Clock, systemClock } from "./clock.js";
import { join } from "node:path";
import { SIGNING_STATE_FILE, homePath, loadConfig, resolveModuleOptions } from "./config.js";
import { ConsensusDriver } from "./consensus/driver.js";
import { ConsensusGossipValidator } from "./consensus/gossip-validator.js";
import { FileSigningState, storeSigningState } from "./consensus/signing-state.js";
import { loadKeyFile } from "./keys/key-file.js";
import { LevelStore } from "./db/level-store.js";
import { LedgerError } from "./errors.js";
import { type LogLevel, createLogger, setLogLevel } from "./logger.js";
import { loadOrCreatePeerKey } from "./network/identity.js";
import { Network } from "./network/network.js";
import { NodeBackend } from "./rpc/node-backend.js";
import { createRpcServer } from "./rpc/server.js";
import { BlockSync } from "./sync/sync.js";
import { createMetrics } from "./metrics.js";

/** A running node. */
export interface CertchainNode {
  readonly name: string;
  readonly rpcUrl: string;
  readonly peerId: string;
  /** Re-read the RPC's TLS certificate and key (e.g. on SIGHUP); false when the RPC serves plain HTTP. Throws CONFIG for a bad file. */
  reloadTls(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StartOptions {
  home: string;
  logLevel?: string;
  clock?: Clock;
  /** Serve the fault-injection admin routes on the RPC (testnet chaos runs only). */
  enableAdmin?: boolean;
}

/** Start the node whose home directory is `home` (see config.ts for the layout). */
export async function startNode(options: StartOptions): Promise<CertchainNode> {
  if (options.logLevel !== undefined) setLogLevel(options.logLevel as LogLevel);
  const clock = options.clock ?? systemClock;
  const home = options.home;
  const cfg = await loadConfig(home);
  const tunables = resolveModuleOptions(cfg);
  const spec: ChainSpec = await loadGenesis(homePath(home, cfg.genesisFile));
  const log = createLogger("node", { node: cfg.name });

  let signer: { index: number; privateKey: string } | null = null;
  if (cfg.consensusKeyFile !== undefined) {
    const key = await loadKeyFile(homePath(home, cfg.consensusKeyFile));
    const index = spec.validatorIndex(key.publicKey);
    if (index < 0) throw new LedgerError("CONFIG", `consensus key ${key.publicKey.slice(0, 16)}… is not a validator in genesis`);
    signer = { index, privateKey: key.privateKey };
  }

  const store = await LevelStore.open({ path: homePath(home, cfg.dataDir) });
  const closers: Array<() => Promise<void>> = [() => store.close()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        log.warn("error while closing", { err });
      }
    }
  };
  try {
    const first = await store.getBlock(1);
    if (first !== null && first.block.header.chainId !== spec.chainId) {
      throw new LedgerError("CONFIG", `data directory holds chain ${first.block.header.chainId}, genesis is ${spec.chainId}`);
    }
    // Built in dependency order. The network and the consensus driver need each other (the driver
    // publishes, the network delivers): the handlers below name modules declared further down, and
    // run only once the network starts, after everything is built.
    const metrics = createMetrics({
      head: () => driver.tip(),
      consensus: () => driver.position(),
      signing: () => driver.signingHealth(),
      mempoolSize: () => mempool.size,
      peers: () => ({ connected: network.connectedPeers().length, configured: cfg.p2p.peers.length }),
      gossip: () => network.stats(),
      syncing: () => sync.syncing,
    });
    const mempool = new Mempool(tunables.mempool, { spec, state: store, clock });
    closers.push(async () => mempool.close());
    const peerKey = await loadOrCreatePeerKey(homePath(home, cfg.p2pKeyFile));
    const network = new Network(
      { ...tunables.network, privateKey: peerKey, listen: cfg.p2p.listen, peers: cfg.p2p.peers, topicPrefix: `/certchain/${spec.chainId}` },
      {
        clock,
        onTransactions: (data) => txGossip.handleBatch(data),
        onConsensus: (data) => consensusGossip.validate(data),
        onRequest: (name, body) => sync.handleRequest(name, body),
      },
    );
    const driver = new ConsensusDriver(tunables.consensus, {
      spec,
      store,
      mempool,
      clock,
      log: log.child({ module: "consensus" }),
      signer,
      signing: new FileSigningState(join(home, SIGNING_STATE_FILE), storeSigningState(store)),
      publish: (data) => network.publishConsensus(data),
      onBehind: () => sync.trigger(),
      onEvidence: (e) => metrics.equivocation(e.validator, e.kind),
      onCommitted: (block, source, timings) => {
        metrics.blockCommitted(block, source, timings);
        const h = block.block.header;
        if (source === "consensus") log.info("committed", { height: h.height, txs: h.txCount, round: block.commit.round, hash: block.hash.slice(0, 16) });
      },
    });
    const consensusGossip = new ConsensusGossipValidator({ spec, driver, log: log.child({ module: "consensus-gossip" }) });
    const txGossip = new TxGossip(tunables.txGossip, {
      mempool,
      clock,
      log: log.child({ module: "txgossip" }),
      publish: (data) => network.publishTransactions(data),
      onAdmitted: () => driver.transactionsAvailable(),
    });
    const sync = new BlockSync(tunables.sync, { spec, store, driver, network, cache: mempool, clock, log: log.child({ module: "sync" }) });

    await driver.start();
    closers.push(() => driver.stop());
    await network.start();
    closers.push(() => network.stop());
    // Closed in reverse: pending transaction gossip is flushed while the network is still up.
    closers.push(async () => txGossip.stop());
    sync.start();
    closers.push(() => sync.stop());

    const backend = new NodeBackend(
      { node: { name: cfg.name, peerId: network.peerId }, validatorIndex: signer?.index ?? null },
      {
        metrics,
        spec,
        store,
        mempool,
        driver,
        sync,
        txGossip,
        peers: { connected: () => network.connectedPeers(), configured: cfg.p2p.peers.length },
        clock,
        isolation: { set: (isolated) => network.setIsolated(isolated), get: () => network.isIsolated },
      },
    );
    const rpcTls = rpcTlsFiles(home, tunables.rpc.tls);
    const rpc = createRpcServer(
      { ...tunables.rpc, tls: rpcTls, enableAdmin: options.enableAdmin === true },
      { backend, log: (msg, ctx) => log.warn(msg, ctx) },
    );
    await rpc.listen({ host: tunables.rpc.host, port: tunables.rpc.port });
    closers.push(() => rpc.close());
    if (options.enableAdmin === true) log.warn("admin routes enabled: POST /admin/network can isolate this node (fault injection only)");
    const rpcUrl = `${rpcTls.certFile === "" ? "http" : "https"}://${tunables.rpc.host}:${tunables.rpc.port}`;
    log.info("node started", { chainId: spec.chainId, height: driver.tip().height, validator: signer?.index ?? null, rpc: rpcUrl, peerId: network.peerId });

    let closing: Promise<void> | null = null;
    return {
      name: cfg.name,
      rpcUrl,
      peerId: network.peerId,
      reloadTls: () => rpc.reloadTls(),
      close: () => {
        closing ??= closeAll().then(() => log.info("node stopped"));
        return closing;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The RPC's TLS files with paths relative to the home resolved ("" stays "": plain HTTP). */
function rpcTlsFiles(home: string, tls: { certFile: string; keyFile: string }): { certFile: string; keyFile: string } {
  const resolve = (path: string): string => (path === "" ? "" : homePath(home, path));
  return { certFile: resolve(tls.certFile), keyFile: resolve(tls.keyFile) };
}
