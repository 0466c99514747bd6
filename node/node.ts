/**
 * The composition root (style.md §6): one linear init — config → genesis → store → mempool →
 * consensus driver → network → sync → RPC — and close in reverse order.
 */
import "./polyfill.js";
import type { Server as TlsServer } from "node:tls";
import { adminTokenPath, readAdminToken } from "./admin-token.js";
import type { ReloadSummary } from "./api/views.js";
import type { ChainSpec } from "./chain/genesis.js";
import type { GovernanceState } from "./chain/gov-types.js";
import { proposalStatusAt } from "./chain/governance.js";
import { loadGenesis } from "./ledger/genesis-file.js";
import { Mempool } from "./ledger/mempool.js";
import { TxGossip } from "./ledger/tx-gossip.js";
import { type Clock, systemClock } from "./clock.js";
import { join } from "node:path";
import { SIGNING_STATE_FILE, homePath } from "./config.js";
import type { Env } from "./config-layers.js";
import { resolveNodeSettings } from "./config-resolve.js";
import { configuredPeers } from "./configured-peers.js";
import { ConsensusDriver } from "./consensus/driver.js";
import { ConsensusGossipValidator } from "./consensus/gossip-validator.js";
import { FileSigningState, storeSigningState } from "./consensus/signing-state.js";
import { P2P_ROLE, loadKeyFile } from "./keys/key-file.js";
import { LevelStore } from "./db/level-store.js";
import { LedgerError } from "./errors.js";
import { chooseLogLevel, createLogger, logLevel, pinoInstance, setLogLevel } from "./logger.js";
import { loadPeerKey, peerIdOf } from "./network/identity.js";
import { Network } from "./network/network.js";
import { ConfigReloader, type Reloader } from "./reload.js";
import { AdminAuth } from "./rpc/admin-auth.js";
import { StatusListService } from "./rpc/status-list.js";
import { NodeBackend } from "./rpc/node-backend.js";
import { createRpcServer, rpcConnectionStats } from "./rpc/server.js";
import { type TlsMaterial, type TlsOptions, readTlsFiles, tlsEnabled } from "./rpc/tls.js";
import { BlockSync } from "./sync/sync.js";
import { SyncVerifyPool } from "./sync/verify-pool.js";
import { createMetrics } from "./metrics.js";

/** A running node. */
export interface CertchainNode {
  readonly name: string;
  readonly rpcUrl: string;
  readonly peerId: string;
  /**
   * Re-read the home's config and apply what can change live (peers, log level, the admin token, and
   * each registered Reloader); report what needs a restart. A bad config rejects with a CONFIG error
   * and changes nothing. Reloads run one at a time.
   */
  reload(): Promise<ReloadSummary>;
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
  /** The environment whose CERTCHAIN_* options are laid over config.toml (the CLI passes process.env); none when absent. */
  env?: Env;
  /** `--set path=value` items, laid over config.toml and the environment. */
  overrides?: readonly string[];
  /** Unlocks the home's encrypted key files (consensus, p2p). */
  passphrase?: string;
  /** Accept key files that hold their private key in plaintext (local testnets and tests only). */
  plaintextKeys?: boolean;
}

/** Start the node whose home directory is `home` (see config.ts for the layout). */
export async function startNode(options: StartOptions): Promise<CertchainNode> {
  const clock = options.clock ?? systemClock;
  const home = options.home;
  const layers = { env: options.env, overrides: options.overrides };
  const { config: cfg, modules: tunables } = await resolveNodeSettings(home, layers);
  // The --log-level flag wins over the config's log.level, which wins over CERTCHAIN_LOG.
  const baseLogLevel = chooseLogLevel({ flag: options.logLevel, env: process.env.CERTCHAIN_LOG }) ?? logLevel();
  setLogLevel(chooseLogLevel({ flag: options.logLevel, config: cfg.log?.level }) ?? baseLogLevel);
  const adminToken = await readAdminToken(home);
  const spec: ChainSpec = await loadGenesis(homePath(home, cfg.genesisFile));
  const log = createLogger("node", { node: cfg.name });
  const unlock = { ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }), allowPlaintext: options.plaintextKeys === true };

  // Both keys are unlocked (scrypt, side by side on the thread pool) before anything is opened.
  const consensusKeyFile = cfg.consensusKeyFile === undefined ? undefined : homePath(home, cfg.consensusKeyFile);
  // Settled, not Promise.all: when both fail (a wrong passphrase) the error names the consensus key,
  // whichever derivation finished first.
  const [consensusLoad, peerLoad] = await Promise.allSettled([
    consensusKeyFile === undefined ? null : loadKeyFile(consensusKeyFile, unlock),
    loadPeerKey(homePath(home, cfg.p2pKeyFile), unlock),
  ]);
  if (consensusLoad.status === "rejected") throw consensusLoad.reason;
  if (peerLoad.status === "rejected") throw peerLoad.reason;
  const key = consensusLoad.value;
  const peerKey = peerLoad.value;
  let signer: { publicKey: string; privateKey: string } | null = null;
  if (key !== null) {
    if (key.role === P2P_ROLE) throw new LedgerError("CONFIG", `${consensusKeyFile} is a p2p key, not a consensus key`);
    signer = { publicKey: key.publicKey, privateKey: key.privateKey };
  }

  const store = await LevelStore.open({ path: homePath(home, cfg.dataDir), writeBufferBytes: tunables.store.writeBufferBytes });
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
    // The rules and validator sets governance decided, as of the stored head.
    const governance = await store.getGovernance();
    if (governance !== null) spec.learn(governance);
    // Proposals by status at the head, for /metrics; recounted after a block with governance transactions.
    let proposalCounts: Record<string, number> = {};
    const countProposals = (gov: GovernanceState | null, head: number): void => {
      proposalCounts = {};
      for (const p of gov?.proposals ?? []) {
        const status = proposalStatusAt(p, head);
        proposalCounts[status] = (proposalCounts[status] ?? 0) + 1;
      }
    };
    countProposals(governance, store.head()?.height ?? 0);
    if (signer !== null && !spec.validatorEpochs().some((e) => e.validators.some((v) => v.publicKey === signer?.publicKey))) {
      log.warn("this node's consensus key is in no validator set yet: it follows until governance adds it", { key: signer.publicKey.slice(0, 16) });
    }
    // Built in dependency order. The network and the consensus driver need each other (the driver
    // publishes, the network delivers): the handlers below name modules declared further down, and
    // run only once the network starts, after everything is built.
    const metrics = createMetrics({
      head: () => driver.tip(),
      consensus: () => driver.position(),
      signing: () => driver.signingHealth(),
      mempoolSize: () => mempool.size,
      governance: () => ({ validators: spec.validatorSetAt(driver.tip().height + 1).size, proposals: proposalCounts }),
      peers: () => ({ connected: network.connectedPeers().length, configured: network.configuredPeerCount, gossiping: network.gossipPeers().length }),
      gossip: () => network.stats(),
      syncing: () => sync.syncing,
      rpcConnections: () => rpcConnectionStats.get(rpc),
    });
    // Signature checks on worker threads: transactions at admission, synced blocks.
    const syncLog = log.child({ module: "sync" });
    const verifyPool = new SyncVerifyPool(tunables.sync.verifyWorkers, { spec, log: syncLog });
    closers.push(() => verifyPool.close());
    const mempool = new Mempool(tunables.mempool, { spec, state: store, clock, verifier: verifyPool });
    closers.push(async () => mempool.close());
    const selfPeerId = peerIdOf(peerKey);
    const network = new Network(
      {
        ...tunables.network,
        privateKey: peerKey,
        listen: cfg.p2p.listen,
        peers: configuredPeers(cfg, spec, selfPeerId),
        topicPrefix: `/certchain/${spec.chainId}`,
      },
      {
        clock,
        log: log.child({ module: "network" }),
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
        const decided = block.receipts.filter((r) => r.governance !== undefined);
        for (const r of decided) log.info("governance", { height: h.height, ...r.governance });
        // Counted at every commit: an open proposal reads "expired" once its height passes.
        if (decided.length > 0 || Object.keys(proposalCounts).length > 0)
          store.getGovernance().then(
            (gov) => countProposals(gov, h.height),
            (err: unknown) => log.warn("cannot read governance state", { err }),
          );
      },
    });
    const consensusGossip = new ConsensusGossipValidator({ spec, driver, log: log.child({ module: "consensus-gossip" }) });
    const txGossip = new TxGossip(tunables.txGossip, {
      mempool,
      clock,
      log: log.child({ module: "txgossip" }),
      publish: (data) => network.publishTransactions(data),
      onAdmitted: () => driver.transactionsAvailable(),
      peers: { configured: () => network.configuredPeerCount, subscribed: () => network.gossipPeers() },
    });
    const sync = new BlockSync(tunables.sync, { spec, store, driver, network, cache: mempool, clock, log: syncLog, verifier: verifyPool });

    await driver.start();
    closers.push(() => driver.stop());
    await network.start();
    closers.push(() => network.stop());
    // Closed in reverse: pending transaction gossip is flushed while the network is still up.
    closers.push(async () => txGossip.stop());
    sync.start();
    closers.push(() => sync.stop());

    // Reloading: the peer set and log level by the reloader itself; the admin token (and the RPC's TLS
    // certificate, when served) by the reloaders registered here.
    const adminAuth = new AdminAuth(adminToken);
    const reloaders: Reloader[] = [adminTokenReloader(home, adminAuth, adminToken)];
    const reloader = new ConfigReloader(cfg, {
      home,
      loadConfig: async () => (await resolveNodeSettings(home, layers)).config,
      spec,
      peerId: network.peerId,
      network,
      log,
      baseLogLevel,
      reloaders,
    });
    closers.push(async () => reloader.close());

    const backend = new NodeBackend(
      { node: { name: cfg.name, peerId: network.peerId }, validatorKey: signer?.publicKey ?? null },
      {
        metrics,
        spec,
        store,
        mempool,
        driver,
        sync,
        txGossip,
        peers: {
          connected: () => network.connectedPeers(),
          get configured() {
            return network.configuredPeerCount;
          },
        },
        clock,
        isolation: { set: (isolated) => network.setIsolated(isolated), get: () => network.isIsolated },
        reload: () => reloader.reload(),
        ...(signer === null ? {} : { statusLists: new StatusListService(spec, store, signer) }),
      },
    );
    const rpcTls = rpcTlsFiles(home, tunables.rpc.tls);
    const rpc = createRpcServer(
      { ...tunables.rpc, tls: rpcTls, enableAdmin: options.enableAdmin === true },
      {
        backend,
        log: (msg, ctx) => log.warn(msg, ctx),
        adminAuth,
        logger: pinoInstance(log.child({ module: "rpc" })),
        accessLog: tunables.log.accessLog,
      },
    );
    try {
      await rpc.listen({ host: tunables.rpc.host, port: tunables.rpc.port });
    } catch (err) {
      await rpc.close().catch(() => undefined); // its plugins' timers (under-pressure) would outlive the failed start
      // Named like the p2p listener's failure (network.ts), so an operator knows which port is taken.
      throw new LedgerError("CONFIG", `cannot start the RPC server listening on ${tunables.rpc.host}:${tunables.rpc.port}: ${(err as Error).message}`);
    }
    closers.push(() => rpc.close());
    reloaders.push(tlsReloader(rpcTls, (material) => (rpc.server as unknown as TlsServer).setSecureContext(material)));
    if (options.enableAdmin === true) log.warn("admin routes enabled: POST /admin/network can isolate this node (fault injection only)");
    if (adminAuth.enabled) log.info("POST /admin/reload served to holders of the admin token", { file: adminTokenPath(home) });
    const rpcUrl = `${rpcTls.certFile === "" ? "http" : "https"}://${tunables.rpc.host}:${tunables.rpc.port}`;
    log.info("node started", {
      chainId: spec.chainId,
      height: driver.tip().height,
      validator: driver.selfAt(driver.tip().height + 1),
      rpc: rpcUrl,
      peerId: network.peerId,
    });

    let closing: Promise<void> | null = null;
    return {
      name: cfg.name,
      rpcUrl,
      peerId: network.peerId,
      reload: () => reloader.reload(),
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

/** Re-reads `<home>/admin.token` on every reload: a new, rotated or removed token takes effect at once. */
function adminTokenReloader(home: string, auth: AdminAuth, atStart: string | null): Reloader {
  let current = atStart;
  return {
    keys: [],
    async prepare() {
      const token = await readAdminToken(home);
      if (token === current) return null;
      const summary =
        token === null
          ? "admin.token: removed (POST /admin/reload not served)"
          : current === null
            ? "admin.token: POST /admin/reload served"
            : "admin.token: rotated";
      return {
        summary,
        apply: () => {
          current = token;
          auth.set(token);
        },
      };
    },
  };
}

/**
 * Re-reads the RPC's TLS certificate and key on every reload (a renewed certificate at the same paths):
 * checked while preparing (a bad file refuses the whole reload), swapped in for new connections when
 * applied. New paths need a restart (reported as such: rpc.tls is not a live key).
 */
function tlsReloader(files: TlsOptions, setSecureContext: (material: TlsMaterial) => void): Reloader {
  return {
    keys: [],
    async prepare() {
      if (!tlsEnabled(files)) return null;
      const material = await readTlsFiles(files); // throws CONFIG naming a missing or mismatched file
      return { summary: "rpc.tls: certificate and key re-read", apply: () => setSecureContext(material) };
    },
  };
}

/** The RPC's TLS files with paths relative to the home resolved ("" stays "": plain HTTP). */
function rpcTlsFiles(home: string, tls: { certFile: string; keyFile: string }): { certFile: string; keyFile: string } {
  const resolve = (path: string): string => (path === "" ? "" : homePath(home, path));
  return { certFile: resolve(tls.certFile), keyFile: resolve(tls.keyFile) };
}
