/**
 * The libp2p network layer (design.md §4): TCP + Noise + yamux + identify + gossipsub among a static,
 * permissioned set of peers, plus one-request-per-stream request/response. It moves bytes only; what
 * the bytes mean is the handlers' business.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { type GossipSub, TopicValidatorResult, gossipsub } from "@libp2p/gossipsub";
import { type Identify, identify } from "@libp2p/identify";
import { type Connection, KEEP_ALIVE, type Libp2p, type PeerId, type PrivateKey, type Stream } from "@libp2p/interface";
import { peerIdFromPrivateKey, peerIdFromString } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
import { lpStream } from "@libp2p/utils";
import { yamux } from "@libp2p/yamux";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { type GossipVerdict, LedgerError } from "../errors.js";
import { type Logger, createLogger } from "../logger.js";
import { gossipConfig } from "./gossip-config.js";
import { type PenaltyOptions, PeerPenalties, defaultPenaltyOptions } from "./penalties.js";

/** A configured peer: its peer id and a dialable multiaddr (a trailing /p2p/<id> is optional). */
export interface NetworkPeer {
  peerId: string;
  address: string;
}

export interface NetworkOptions {
  /** libp2p key from identity.ts */
  privateKey: PrivateKey;
  /** multiaddrs to listen on, e.g. ["/ip4/127.0.0.1/tcp/7700"]; nothing else is listened on */
  listen: string[];
  /** static peers; only these peer ids may connect, in either direction */
  peers: NetworkPeer[];
  /** e.g. "/certchain/<chainId>"; prefixes every topic and protocol */
  topicPrefix: string;
  /** request names this node answers, each served at `${topicPrefix}/req/<name>/1` */
  requestNames?: string[];
  /** larger gossip messages are refused on publish and rejected on receipt; at most MAX_GOSSIP_BYTES */
  maxGossipBytes?: number;
  maxRequestBytes?: number;
  maxResponseBytes?: number;
  requestTimeoutMs?: number;
  redialIntervalMs?: number;
  /** When a peer that keeps sending provably invalid gossip is disconnected and refused (penalties.ts). */
  penalties?: PenaltyOptions;
}

/**
 * Gossipsub length-prefixes each RPC with it-length-prefixed's default 4 MiB cap and *silently drops*
 * a larger frame on send (logged inside gossipsub, publish() still resolves). A message shares its
 * frame with the envelope and piggybacked control/IHAVE ids, so leave headroom below 4 MiB.
 */
export const MAX_GOSSIP_BYTES = 4 * 1024 * 1024 - 256 * 1024;

export const defaultNetworkOptions = {
  requestNames: ["status", "blocks"],
  maxGossipBytes: MAX_GOSSIP_BYTES,
  maxRequestBytes: 64 * 1024,
  maxResponseBytes: 32 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  redialIntervalMs: 1_000,
  penalties: defaultPenaltyOptions,
} satisfies Required<Omit<NetworkOptions, "privateKey" | "listen" | "peers" | "topicPrefix">>;

/**
 * What the network delivers. Gossip handlers run inside gossipsub validation, once per message, and
 * their verdict decides forwarding and scoring; `fromPeer` is the peer that relayed the message (StrictNoSign
 * messages name no author). Never called for this node's own messages.
 */
export interface NetworkHandlers {
  /** gossip on the txs topic; the verdict maps to gossipsub Accept/Ignore/Reject (a throw counts as Reject) */
  onTransactions(data: Uint8Array, fromPeer: string): Promise<GossipVerdict> | GossipVerdict;
  /** gossip on the consensus topic */
  onConsensus(data: Uint8Array, fromPeer: string): Promise<GossipVerdict> | GossipVerdict;
  /** request/response: `name` is one of `requestNames`; return the response bytes; throw to reset the stream */
  onRequest(name: string, body: Uint8Array, fromPeer: string): Promise<Uint8Array>;
}

/** Counters for metrics. */
export interface NetworkStats {
  /** configured peers currently connected */
  connected: number;
  /** gossip messages our handlers rejected (the sender is scored down) */
  rejected: number;
  /** gossip messages this node published */
  published: number;
  /** gossip messages from peers that reached a handler */
  received: number;
  /** configured peers disconnected and refused for now for sending invalid gossip */
  banned: number;
}

type Services = { identify: Identify; pubsub: GossipSub };
type Resolved = Required<NetworkOptions>;

interface StaticPeer {
  id: PeerId;
  /** configured address with /p2p/<id>, what the redial loop dials */
  dialAddr: Multiaddr;
}

const VERDICT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};
const P2P_CODE = 421;
/** The higher peer id dials too, once per this many redial intervals, while a peer stays unreachable. */
const FALLBACK_DIAL_INTERVALS = 5;
/** A connected peer missing from gossipsub this long has a broken gossip stream: reconnect it. */
const GOSSIP_GRACE_MS = 10_000;
const FIRST_REDIAL_MS = 100;
const LENGTH_PREFIX_BYTES = 10;
/** What lpStream throws when a frame announces more than maxDataLength (via its length or its varint). */
const TOO_LONG_ERRORS = new Set(["InvalidDataLengthError", "InvalidDataLengthLengthError"]);

function parsePeer(p: NetworkPeer): StaticPeer {
  const id = peerIdFromString(p.peerId);
  const addr = multiaddr(p.address);
  const p2p = addr.getComponents().find((c) => c.code === P2P_CODE);
  if (p2p !== undefined && p2p.value !== p.peerId) throw new LedgerError("CONFIG", `address ${p.address} names another peer than ${p.peerId}`);
  return { id, dialAddr: addr.decapsulateCode(P2P_CODE).encapsulate(`/p2p/${p.peerId}`) };
}

/** The node's libp2p host: gossip on two topics, request/response, permissioned static peers. */
export class Network {
  /** this node's peer id */
  readonly peerId: string;
  private readonly o: Resolved;
  private readonly log: Logger;
  private readonly peers = new Map<string, StaticPeer>();
  private readonly txTopic: string;
  private readonly consensusTopic: string;
  private node: Libp2p<Services> | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private redialTimer: NodeJS.Timeout | null = null;
  private readonly downSince = new Map<string, number>();
  private readonly gossipMissingSince = new Map<string, number>();
  private readonly dialing = new Set<string>();
  /** Cut off from every peer by an operator (admin RPC, tests): no dials, no inbound, no redial. */
  private isolated = false;
  private readonly counters = { rejected: 0, published: 0, received: 0 };
  private readonly penalties: PeerPenalties;

  constructor(
    options: NetworkOptions,
    private readonly handlers: NetworkHandlers,
  ) {
    const { privateKey, listen, peers, topicPrefix, ...tunables } = options;
    this.o = { ...defaultNetworkOptions, ...stripUndefined(tunables), privateKey, listen, peers, topicPrefix };
    this.peerId = peerIdFromPrivateKey(this.o.privateKey).toString();
    this.log = createLogger("network", { peer: this.peerId.slice(-8) });
    for (const p of this.o.peers) if (p.peerId !== this.peerId) this.peers.set(p.peerId, parsePeer(p));
    for (const name of this.o.requestNames) if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new LedgerError("CONFIG", `bad request name ${name}`);
    if (this.o.maxGossipBytes > MAX_GOSSIP_BYTES) throw new LedgerError("CONFIG", `maxGossipBytes may be at most ${MAX_GOSSIP_BYTES}`);
    this.penalties = new PeerPenalties(this.o.penalties);
    this.txTopic = `${this.o.topicPrefix}/txs/1`;
    this.consensusTopic = `${this.o.topicPrefix}/consensus/1`;
  }

  /** Start listening, subscribe, and begin dialling the configured peers. A Network starts once. */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    if (this.stopping !== null) throw new LedgerError("NOT_READY", "network was stopped; create a new one");
    // Only configured peers, none while isolated (admin), and none while it sits in the penalty box.
    const isConfigured = (id: PeerId): boolean => !this.isolated && this.peers.has(id.toString()) && !this.penalties.banned(id.toString(), Date.now());
    const node = await createLibp2p<Services>({
      start: false,
      privateKey: this.o.privateKey,
      addresses: { listen: this.o.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // Permissioned: the peer id is authenticated by Noise, so gate on it in both directions.
      // While isolated, every peer counts as unconfigured and raw inbound connections are refused too.
      connectionGater: {
        denyInboundConnection: () => this.isolated,
        denyDialPeer: (id) => !isConfigured(id),
        denyInboundEncryptedConnection: (id) => !isConfigured(id),
        denyOutboundEncryptedConnection: (id) => !isConfigured(id),
      },
      // libp2p refuses a 6th inbound connection per second from one host before the handshake; a whole
      // cluster on one host (testnet) dials the highest id at once, so allow every peer twice over.
      connectionManager: { inboundConnectionThreshold: Math.max(5, 2 * this.peers.size), maxIncomingPendingConnections: Math.max(10, 2 * this.peers.size) },
      // A publish burst can starve pings; aborting then loses everything queued (libp2p-notes pitfall 1).
      connectionMonitor: { abortConnectionOnPingFailure: false },
      services: {
        identify: identify(),
        pubsub: gossipsub(gossipConfig(this.peers.size, [this.txTopic, this.consensusTopic])),
      },
    });
    this.node = node;
    for (const [key, peer] of this.peers) {
      // KEEP_ALIVE makes libp2p dial at start and after a drop; only on the side that dials, so a
      // pair does not race into two connections (pitfall 3). The redial loop covers the rest.
      const tags = this.isDialerFor(key) ? { [KEEP_ALIVE]: { value: 1 } } : {};
      await node.peerStore.merge(peer.id, { multiaddrs: [peer.dialAddr.decapsulateCode(P2P_CODE)], tags });
    }
    for (const name of this.o.requestNames) {
      await node.handle(this.protocolFor(name), (stream, connection) => this.serveRequest(name, stream, connection));
    }
    const pubsub = node.services.pubsub;
    pubsub.topicValidators.set(this.txTopic, (peer, msg) => this.validate(this.txTopic, msg.data, peer.toString()));
    pubsub.topicValidators.set(this.consensusTopic, (peer, msg) => this.validate(this.consensusTopic, msg.data, peer.toString()));
    node.addEventListener("peer:connect", (evt) => this.log.info("peer connected", { remote: evt.detail.toString() }));
    node.addEventListener("peer:disconnect", (evt) => this.log.info("peer disconnected", { remote: evt.detail.toString() }));
    try {
      await node.start(); // on failure libp2p has already stopped whatever it started
    } catch (err) {
      this.node = null;
      throw new LedgerError("CONFIG", `cannot start libp2p listening on ${this.o.listen.join(", ")}: ${(err as Error).message}`);
    }
    pubsub.subscribe(this.txTopic);
    pubsub.subscribe(this.consensusTopic);
    this.log.info("network started", { listen: this.listenAddresses(), peers: this.peers.size });
    this.scheduleRedial(0);
  }

  /** Stop everything; safe to call more than once or before start. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.redialTimer !== null) clearTimeout(this.redialTimer);
    this.redialTimer = null;
    await this.starting?.catch(() => undefined);
    if (this.redialTimer !== null) clearTimeout(this.redialTimer);
    const node = this.node;
    this.node = null;
    if (node !== null) {
      await node.stop();
      this.log.info("network stopped");
    }
  }

  /** Gossip a transaction batch. Best-effort: with no peers the message simply goes nowhere. */
  publishTransactions(data: Uint8Array): Promise<void> {
    return this.publish(this.txTopic, data);
  }

  /** Gossip a consensus message. Best-effort, like all gossip (design.md §4). */
  publishConsensus(data: Uint8Array): Promise<void> {
    return this.publish(this.consensusTopic, data);
  }

  private async publish(topic: string, data: Uint8Array): Promise<void> {
    if (data.byteLength > this.o.maxGossipBytes) {
      throw new LedgerError("BODY_TOO_LARGE", `gossip message of ${data.byteLength} bytes exceeds ${this.o.maxGossipBytes}`);
    }
    const node = this.node;
    if (node === null || this.stopping !== null) {
      this.log.debug("dropped publish: network not running", { topic });
      return;
    }
    try {
      await node.services.pubsub.publish(topic, data);
      this.counters.published++;
    } catch (err) {
      this.log.warn("publish failed", { topic, err });
    }
  }

  /** Run a gossip handler inside gossipsub's validation, so it runs once per message and decides forwarding. */
  private async validate(topic: string, data: Uint8Array, from: string): Promise<TopicValidatorResult> {
    let verdict: GossipVerdict;
    if (data.byteLength > this.o.maxGossipBytes) {
      verdict = "reject"; // [REJECT] larger than any honest node publishes
    } else {
      this.counters.received++;
      try {
        verdict = await (topic === this.txTopic ? this.handlers.onTransactions(data, from) : this.handlers.onConsensus(data, from));
      } catch (err) {
        this.log.warn("gossip handler threw", { topic, from, err });
        verdict = "reject";
      }
    }
    const result = VERDICT[verdict] ?? TopicValidatorResult.Reject;
    if (result === TopicValidatorResult.Reject) {
      this.counters.rejected++;
      this.penalise(from);
    }
    return result;
  }

  /** One provably invalid message from `peer`: past the threshold, disconnect it and refuse it for a while. */
  private penalise(peer: string): void {
    const until = this.penalties.offence(peer, Date.now());
    if (until === null) return;
    this.log.warn("peer sent too much invalid gossip: disconnected and refused", { remote: peer, untilMs: until - Date.now() });
    const id = this.peers.get(peer)?.id;
    if (id !== undefined) this.node?.hangUp(id).catch((err: unknown) => this.log.debug("hang up failed", { remote: peer, err }));
  }

  /** Send one request to a configured peer and return its response; throws a LedgerError on any failure. */
  async request(peerId: string, name: string, body: Uint8Array): Promise<Uint8Array> {
    const node = this.node;
    if (node === null || this.stopping !== null) throw new LedgerError("NOT_READY", "network is not running");
    const peer = this.peers.get(peerId);
    if (peer === undefined) throw new LedgerError("NOT_FOUND", `unknown peer ${peerId}`);
    if (body.byteLength > this.o.maxRequestBytes) {
      throw new LedgerError("BODY_TOO_LARGE", `request of ${body.byteLength} bytes exceeds ${this.o.maxRequestBytes}`);
    }
    const signal = AbortSignal.timeout(this.o.requestTimeoutMs);
    let stream: Stream | undefined;
    try {
      stream = await node.dialProtocol(peer.id, this.protocolFor(name), { signal });
      const lp = lpStream(stream, { maxDataLength: this.o.maxResponseBytes, maxBufferSize: this.o.maxResponseBytes + LENGTH_PREFIX_BYTES });
      await lp.write(body, { signal });
      // Half-close: the request is complete; the peer closes its side after the response.
      await stream.close({ signal });
      return (await lp.read({ signal })).subarray();
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)));
      const details = { peerId, name };
      if (signal.aborted) throw new LedgerError("TIMEOUT", `request ${name} to ${peerId} timed out after ${this.o.requestTimeoutMs} ms`, details);
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      const code = err instanceof Error && TOO_LONG_ERRORS.has(err.name) ? "BODY_TOO_LARGE" : "INTERNAL";
      throw new LedgerError(code, `request ${name} to ${peerId} failed: ${reason}`, details);
    }
  }

  /** Answer one request on its own stream; a bad peer only ever costs a reset stream. */
  private async serveRequest(name: string, stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString();
    const signal = AbortSignal.timeout(this.o.requestTimeoutMs);
    try {
      const lp = lpStream(stream, { maxDataLength: this.o.maxRequestBytes, maxBufferSize: this.o.maxRequestBytes + LENGTH_PREFIX_BYTES });
      const body = (await lp.read({ signal })).subarray();
      const response = await abortable(this.handlers.onRequest(name, body, from), signal);
      if (response.byteLength > this.o.maxResponseBytes) {
        throw new LedgerError("BODY_TOO_LARGE", `response of ${response.byteLength} bytes exceeds ${this.o.maxResponseBytes}`);
      }
      await lp.write(response, { signal });
      await stream.close({ signal });
    } catch (err) {
      this.log.debug("request not answered", { name, from, err });
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Cut this node off from all peers (close every connection; the gater refuses dials and inbound
   * connections) or reconnect it (the redial loop dials again). For fault injection only: the node
   * exposes it on the admin RPC when started with --enable-admin.
   */
  setIsolated(isolated: boolean): void {
    this.isolated = isolated;
    const node = this.node;
    if (node === null) return;
    this.log.warn(isolated ? "isolated from all peers" : "isolation lifted; reconnecting", { peers: this.peers.size });
    if (!isolated) {
      this.downSince.clear();
      if (this.redialTimer !== null) clearTimeout(this.redialTimer);
      this.scheduleRedial(0);
      return;
    }
    // Abrupt, like a cut cable: no graceful stream close that could wait on the peer.
    for (const c of node.getConnections()) c.abort(new Error("isolated by operator"));
  }

  /** True while setIsolated(true) holds. */
  get isIsolated(): boolean {
    return this.isolated;
  }

  /** Configured peers with an open connection. */
  connectedPeers(): string[] {
    const node = this.node;
    if (node === null) return [];
    const ids = new Set<string>();
    for (const c of node.getConnections()) {
      const id = c.remotePeer.toString();
      if (c.status === "open" && this.peers.has(id)) ids.add(id);
    }
    return [...ids];
  }

  /** Configured peers subscribed to both topics: those a publish reaches now. */
  gossipPeers(): string[] {
    const pubsub = this.node?.services.pubsub;
    if (pubsub === undefined) return [];
    const tx = new Set(pubsub.getSubscribers(this.txTopic).map(String));
    return pubsub
      .getSubscribers(this.consensusTopic)
      .map(String)
      .filter((id) => tx.has(id) && this.peers.has(id));
  }

  /** The multiaddrs (with /p2p/<id>) this node listens on. */
  listenAddresses(): string[] {
    return this.node?.getMultiaddrs().map(String) ?? [];
  }

  /** Counters for metrics. */
  stats(): NetworkStats {
    return { connected: this.connectedPeers().length, ...this.counters, banned: this.penalties.list(Date.now()).length };
  }

  private protocolFor(name: string): string {
    return `${this.o.topicPrefix}/req/${name}/1`;
  }

  /** Only the lexicographically lower peer id of a pair dials, so the pair gets one connection. */
  private isDialerFor(remote: string): boolean {
    return this.peerId < remote;
  }

  /** Redial at once, then after 100, 200, 400… ms up to redialIntervalMs: nodes of a cluster started together are rarely listening yet when the first dials. */
  private scheduleRedial(delayMs: number): void {
    if (this.stopping !== null) return;
    this.redialTimer = setTimeout(() => {
      this.redialTick();
      this.scheduleRedial(Math.min(Math.max(2 * delayMs, FIRST_REDIAL_MS), this.o.redialIntervalMs));
    }, delayMs);
    this.redialTimer.unref();
  }

  /**
   * Dial configured peers that have no connection (libp2p redials KEEP_ALIVE peers only a few times
   * after a drop and never a peer that was down at start: pitfall 2). If the lower id cannot reach us
   * for a while (down, or a wrong address on its side), we dial it ourselves.
   */
  private redialTick(): void {
    const node = this.node;
    if (node === null || this.stopping !== null || this.isolated) return;
    const now = Date.now();
    const connected = new Set(this.connectedPeers());
    const gossiping = new Set(node.services.pubsub.getPeers().map(String));
    for (const [key, peer] of this.peers) {
      if (connected.has(key)) {
        this.downSince.delete(key);
        this.checkGossip(node, key, peer, gossiping.has(key), now);
        continue;
      }
      this.gossipMissingSince.delete(key);
      if (this.penalties.banned(key, now)) continue;
      if (!this.downSince.has(key)) this.downSince.set(key, now);
      let dial = this.isDialerFor(key);
      if (!dial && now - (this.downSince.get(key) as number) >= FALLBACK_DIAL_INTERVALS * this.o.redialIntervalMs) {
        // Seldom, so it rarely races the lower id's own dial into a duplicate connection.
        dial = true;
        this.downSince.set(key, now);
      }
      if (!dial || this.dialing.has(key)) continue;
      this.dialing.add(key);
      node
        .dial(peer.dialAddr, { signal: AbortSignal.timeout(Math.max(this.o.redialIntervalMs * 5, 5_000)) })
        .then(() => this.log.debug("dialled peer", { remote: key }))
        .catch((err: unknown) => this.log.debug("dial failed", { remote: key, err }))
        .finally(() => this.dialing.delete(key));
    }
  }

  /** Gossipsub drops a peer whose stream errored while the connection stays up; reconnect to heal it. */
  private checkGossip(node: Libp2p<Services>, key: string, peer: StaticPeer, gossiping: boolean, now: number): void {
    if (gossiping) {
      this.gossipMissingSince.delete(key);
      return;
    }
    const since = this.gossipMissingSince.get(key) ?? now;
    this.gossipMissingSince.set(key, since);
    if (now - since < GOSSIP_GRACE_MS) return;
    this.gossipMissingSince.delete(key);
    this.log.warn("connected peer has no gossip stream; reconnecting", { remote: key });
    node.hangUp(peer.id).catch((err: unknown) => this.log.debug("hang up failed", { remote: key, err }));
  }
}

/** Reject when `signal` aborts, without waiting for `promise`. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
