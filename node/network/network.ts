/**
 * The libp2p network layer (design.md §4): TCP + Noise + yamux + identify + gossipsub among a static,
 * permissioned set of peers, plus one-request-per-stream request/response. It moves bytes only; what
 * the bytes mean is the handlers' business. This file is the facade (its contract: network-options.ts);
 * each job lives in its own module: host.ts (the libp2p builder), gater.ts + inbound-admission.ts (who
 * may connect), peer-keeper.ts (static peers, redial), gossip-edge.ts (verdicts, penalty box),
 * request-response.ts, isolation.ts. The peer set can be replaced while the node runs (updatePeers).
 */
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { Clock } from "../clock.js";
import { LedgerError } from "../errors.js";
import { type Logger, createLogger } from "../logger.js";
import { createConnectionGater } from "./gater.js";
import { GossipEdge } from "./gossip-edge.js";
import { type Host, createHost } from "./host.js";
import { InboundAdmission } from "./inbound-admission.js";
import { IsolationSwitch } from "./isolation.js";
import { type NetworkHandlers, type NetworkModules, type NetworkOptions, type NetworkStats, defaultNetworkOptions } from "./network-options.js";
import { PeerKeeper } from "./peer-keeper.js";
import { ConfiguredPeers, type NetworkPeer, type PeerSetDiff, parsePeerList } from "./peers.js";
import { PeerPenalties } from "./penalties.js";
import { RequestResponse } from "./request-response.js";

export { MAX_GOSSIP_BYTES } from "./gossip-edge.js";
export { type NetworkHandlers, type NetworkModules, type NetworkOptions, type NetworkStats, defaultNetworkOptions } from "./network-options.js";
export type { NetworkPeer, PeerSetDiff } from "./peers.js";

/**
 * libp2p's own connection caps (pending inbound handshakes, inbound rate per host) are fixed when the
 * host is built; they are sized for the configured peers plus this many peers added at run time
 * (updatePeers), so libp2p does not refuse an added peer before the gater's own budgets would. The
 * gater's per-address budgets follow the peer set exactly; a restart resizes libp2p's caps.
 */
const RUNTIME_PEER_HEADROOM = 8;

type ResolvedOptions = Required<NetworkOptions>;

/** The node's libp2p host: gossip on two topics, request/response, permissioned static peers. */
export class Network {
  /** this node's peer id */
  readonly peerId: string;
  private readonly options: ResolvedOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly peers: ConfiguredPeers;
  private readonly penalties: PeerPenalties;
  private readonly admission: InboundAdmission;
  private readonly requests: RequestResponse;
  private readonly gossip: GossipEdge;
  private readonly keeper: PeerKeeper;
  private readonly isolation: IsolationSwitch;
  private host: Host | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** updatePeers calls, one after the other. */
  private peerUpdates: Promise<unknown> = Promise.resolve();

  constructor(options: NetworkOptions, modules: NetworkModules) {
    const { privateKey, listen, peers, topicPrefix, ...tunables } = options;
    this.options = { ...defaultNetworkOptions, ...stripUndefined(tunables), privateKey, listen, peers, topicPrefix };
    const handlers: NetworkHandlers = modules;
    const clock = modules.clock;
    this.clock = clock;
    this.peerId = peerIdFromPrivateKey(privateKey).toString();
    const log = modules.log ?? createLogger("network", { peer: this.peerId.slice(-8) });
    this.log = log;
    this.peers = new ConfiguredPeers(this.peerId, peers);
    this.penalties = new PeerPenalties(this.options.penalties);
    this.admission = new InboundAdmission(this.options.inboundAdmission, this.peers.hostCounts());
    this.requests = new RequestResponse(this.options, { clock, log, onRequest: (name, body, from) => handlers.onRequest(name, body, from) });
    this.gossip = new GossipEdge(this.options, {
      onTransactions: (data, from) => handlers.onTransactions(data, from),
      onConsensus: (data, from) => handlers.onConsensus(data, from),
      penalties: this.penalties,
      clock,
      log,
      hangUp: (peer) => this.hangUp(peer),
    });
    this.keeper = new PeerKeeper(this.options, { peers: this.peers, penalties: this.penalties, clock, log, isIsolated: () => this.isolation.isOn });
    this.isolation = new IsolationSwitch({ keeper: this.keeper, log, peerCount: () => this.peers.size });
  }

  /** Start listening, subscribe, and begin dialling the configured peers. A Network starts once. */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    if (this.stopping !== null) throw new LedgerError("NOT_READY", "network was stopped; create a new one");
    const gater = createConnectionGater({
      peers: this.peers,
      penalties: this.penalties,
      admission: this.admission,
      clock: this.clock,
      log: this.log,
      isIsolated: () => this.isolation.isOn,
    });
    const host = await createHost(this.options, {
      privateKey: this.options.privateKey,
      gater,
      peerCount: this.peers.size,
      peerHeadroom: RUNTIME_PEER_HEADROOM,
      topics: this.gossip.topics,
      maxPendingInbound: this.admission.budgetWith(RUNTIME_PEER_HEADROOM),
    });
    this.host = host;
    await this.keeper.register(host);
    await this.requests.register(host);
    this.gossip.register(host);
    host.addEventListener("peer:connect", (evt) => this.log.info("peer connected", { remote: evt.detail.toString() }));
    host.addEventListener("peer:disconnect", (evt) => this.log.info("peer disconnected", { remote: evt.detail.toString() }));
    try {
      await host.start(); // on failure libp2p has already stopped whatever it started
    } catch (err) {
      this.host = null;
      throw new LedgerError("CONFIG", `cannot start libp2p listening on ${this.options.listen.join(", ")}: ${(err as Error).message}`);
    }
    this.gossip.subscribe(host);
    this.log.info("network started", { listen: this.listenAddresses(), peers: this.peers.size });
    if (this.stopping === null) this.keeper.start(host);
  }

  /** Stop everything; safe to call more than once or before start. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.keeper.stop();
    await this.starting?.catch(() => undefined);
    this.keeper.stop();
    const host = this.host;
    this.host = null;
    if (host !== null) {
      await host.stop();
      this.log.info("network stopped");
    }
  }

  /**
   * Replace the configured peer set while the node runs. The whole list is checked first (a bad entry
   * throws a CONFIG error and nothing changes). Then, in one step for the gater, the keeper and
   * requests: added peers are allowed and dialled, removed ones refused and disconnected, readdressed
   * ones dialled at their new address from now on; peers in both sets keep their connections, gossip
   * scores and penalty records. Calls run one after the other, and after a start in progress.
   */
  async updatePeers(peers: readonly NetworkPeer[]): Promise<PeerSetDiff> {
    const next = parsePeerList(this.peerId, peers);
    const update = this.peerUpdates.then(() => this.applyPeers(next));
    this.peerUpdates = update.catch(() => undefined);
    return update;
  }

  private async applyPeers(next: ReturnType<typeof parsePeerList>): Promise<PeerSetDiff> {
    // A host being built registers the current set first; the diff is then applied to it.
    await this.starting?.catch(() => undefined);
    const diff = this.peers.replace(next);
    this.admission.setPeersPerHost(this.peers.hostCounts());
    const host = this.stopping === null ? this.host : null;
    if (host !== null) await this.keeper.applyDiff(host, diff);
    if (diff.added.length + diff.removed.length + diff.readdressed.length > 0) {
      this.log.info("peer set updated", { added: diff.added, removed: diff.removed, readdressed: diff.readdressed, peers: this.peers.size });
    }
    return diff;
  }

  /** How many peers are configured now (this node left out). */
  get configuredPeerCount(): number {
    return this.peers.size;
  }

  /**
   * Gossip a transaction batch. Best-effort: with no peers the message simply goes nowhere. Returns
   * the peers it was sent to (the transaction gossip sends again what did not reach them all).
   */
  publishTransactions(data: Uint8Array): Promise<string[]> {
    return this.publish(this.gossip.txTopic, data);
  }

  /** Gossip a consensus message. Best-effort, like all gossip (design.md §4). */
  async publishConsensus(data: Uint8Array): Promise<void> {
    await this.publish(this.gossip.consensusTopic, data);
  }

  private async publish(topic: string, data: Uint8Array): Promise<string[]> {
    this.gossip.checkSize(data);
    const host = this.host;
    if (host === null || this.stopping !== null) {
      this.log.debug("dropped publish: network not running", { topic });
      return [];
    }
    return this.gossip.publish(host, topic, data);
  }

  /** Send one request to a configured peer and return its response; throws a LedgerError on any failure. */
  async request(peerId: string, name: string, body: Uint8Array): Promise<Uint8Array> {
    const host = this.host;
    if (host === null || this.stopping !== null) throw new LedgerError("NOT_READY", "network is not running");
    const peer = this.peers.get(peerId);
    if (peer === undefined) throw new LedgerError("NOT_FOUND", `unknown peer ${peerId}`);
    return this.requests.request(host, peerId, peer, name, body);
  }

  /**
   * Cut this node off from all peers (close every connection; the gater refuses dials and inbound
   * connections) or reconnect it (the redial loop dials again). For fault injection only: the node
   * exposes it on the admin RPC when started with --enable-admin.
   */
  setIsolated(isolated: boolean): void {
    this.isolation.set(isolated, this.host);
  }

  /** True while setIsolated(true) holds. */
  get isIsolated(): boolean {
    return this.isolation.isOn;
  }

  /** Configured peers with an open connection. */
  connectedPeers(): string[] {
    return this.keeper.connectedPeers();
  }

  /** Configured peers subscribed to both topics: those a publish reaches now. */
  gossipPeers(): string[] {
    const host = this.host;
    return host === null ? [] : this.gossip.subscribers(host, (id) => this.peers.has(id));
  }

  /** The multiaddrs (with /p2p/<id>) this node listens on. */
  listenAddresses(): string[] {
    return this.host?.getMultiaddrs().map(String) ?? [];
  }

  /** Counters for metrics. */
  stats(): NetworkStats {
    return { connected: this.connectedPeers().length, ...this.gossip.counters, banned: this.penalties.list(this.clock.now()).length };
  }

  /** Disconnect a configured peer now (it went into the penalty box). */
  private hangUp(peer: string): void {
    const id = this.peers.get(peer)?.id;
    if (id !== undefined) this.host?.hangUp(id).catch((err: unknown) => this.log.debug("hang up failed", { remote: peer, err }));
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
