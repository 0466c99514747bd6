/**
 * The libp2p network (design.md §4): TCP + Noise + yamux + identify + gossipsub, a connection gater
 * that admits only configured peers, a redial loop for static peers, and request/response protocols.
 * It moves bytes only: decoding and validation belong to the handlers.
 */
import { createHash } from "node:crypto";
import { noise } from "@chainsafe/libp2p-noise";
import { type GossipSub, StrictNoSign, TopicValidatorResult, gossipsub } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import { KEEP_ALIVE, type PeerId, type PrivateKey } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
import { lpStream } from "@libp2p/utils";
import { yamux } from "@libp2p/yamux";
import { multiaddr } from "@multiformats/multiaddr";
import { type Libp2p, createLibp2p } from "libp2p";
import type { GossipVerdict } from "../errors.js";
import { type Logger, createLogger } from "../logger.js";
import { peerIdOf } from "./identity.js";

export interface NetworkPeer {
  peerId: string;
  /** Multiaddr without the /p2p/ suffix, e.g. /ip4/127.0.0.1/tcp/26601. */
  address: string;
}

export interface NetworkOptions {
  privateKey: PrivateKey;
  listen: string[];
  /** Static peers: only these may connect, in either direction. */
  peers: NetworkPeer[];
  /** e.g. "/certchain/<chainId>": topics `${prefix}/txs/1`, `${prefix}/consensus/1`; protocols `${prefix}/req/<name>/1`. */
  topicPrefix: string;
  /** Names of the request/response protocols this node answers. */
  requestNames?: string[];
  maxGossipBytes?: number;
  maxRequestBytes?: number;
  maxResponseBytes?: number;
  requestTimeoutMs?: number;
  redialIntervalMs?: number;
  log?: Logger;
}

export const defaultNetworkOptions = {
  requestNames: ["status", "blocks"],
  maxGossipBytes: 4 * 1024 * 1024,
  maxRequestBytes: 64 * 1024,
  maxResponseBytes: 32 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  redialIntervalMs: 1000,
};

export interface NetworkHandlers {
  onTransactions(data: Uint8Array, fromPeer: string): Promise<GossipVerdict> | GossipVerdict;
  onConsensus(data: Uint8Array, fromPeer: string): Promise<GossipVerdict> | GossipVerdict;
  onRequest(name: string, body: Uint8Array, fromPeer: string): Promise<Uint8Array>;
}

const VERDICT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

/** Gossipsub message id: SHA-256 of the payload (StrictNoSign messages carry no from/seqno). */
function contentId(data: Uint8Array | undefined): Buffer {
  return createHash("sha256")
    .update(data ?? new Uint8Array())
    .digest();
}

export class Network {
  readonly peerId: string;
  private node: Libp2p<{ pubsub: GossipSub; identify: unknown }> | null = null;
  private readonly o: Required<Omit<NetworkOptions, "log">>;
  private readonly log: Logger;
  private readonly allowed: Set<string>;
  private readonly topics: { txs: string; consensus: string };
  private redialTimer: NodeJS.Timeout | null = null;
  private readonly lastConnected = new Map<string, number>();
  private readonly dialing = new Set<string>();
  private counters = { rejected: 0, published: 0, received: 0 };
  private stopping = false;

  constructor(
    options: NetworkOptions,
    private readonly handlers: NetworkHandlers,
  ) {
    this.o = { ...defaultNetworkOptions, ...options } as Required<Omit<NetworkOptions, "log">>;
    this.peerId = peerIdOf(options.privateKey);
    this.log = options.log ?? createLogger("network", { peerId: this.peerId.slice(-8) });
    this.allowed = new Set(options.peers.map((p) => p.peerId));
    this.topics = { txs: `${options.topicPrefix}/txs/1`, consensus: `${options.topicPrefix}/consensus/1` };
  }

  async start(): Promise<void> {
    const n = this.o.peers.length;
    const d = Math.max(1, Math.min(n, 6));
    const denyUnknown = (peer: PeerId): boolean => !this.allowed.has(peer.toString());
    const node = await createLibp2p({
      start: false,
      privateKey: this.o.privateKey,
      addresses: { listen: this.o.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // Permissioned: after Noise we know the authenticated peer id; refuse anyone not configured.
      connectionGater: {
        denyDialPeer: denyUnknown,
        denyInboundEncryptedConnection: denyUnknown,
        denyOutboundEncryptedConnection: denyUnknown,
      },
      // A busy event loop must not get connections aborted (libp2p-notes.md pitfall 1).
      connectionMonitor: { abortConnectionOnPingFailure: false },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          globalSignaturePolicy: StrictNoSign,
          msgIdFn: (msg) => contentId(msg.data),
          fastMsgIdFn: (msg) => contentId(msg.data ?? undefined).toString("base64"),
          // Mesh sized for a small fixed cluster (libp2p-notes.md pitfall 4).
          D: d,
          Dlo: Math.max(1, d - 1),
          Dhi: d + 2,
          Dout: Math.max(0, Math.min(Math.floor(d / 2), d - 2)),
          floodPublish: true,
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          emitSelf: false,
          maxInboundDataLength: this.o.maxGossipBytes + 64 * 1024,
          scoreParams: { IPColocationFactorWeight: 0 },
        }),
      },
    });
    this.node = node as unknown as Libp2p<{ pubsub: GossipSub; identify: unknown }>;
    const pubsub = this.node.services.pubsub;

    for (const p of this.o.peers) {
      await node.peerStore.merge(peerIdFromString(p.peerId), {
        multiaddrs: [multiaddr(p.address)],
        tags: { [KEEP_ALIVE]: { value: 1 } },
      });
    }
    node.addEventListener("peer:connect", (e) => {
      this.lastConnected.set(e.detail.toString(), Date.now());
      this.log.debug("peer connected", { peer: e.detail.toString() });
    });
    node.addEventListener("peer:disconnect", (e) => {
      this.lastConnected.set(e.detail.toString(), Date.now());
      this.log.debug("peer disconnected", { peer: e.detail.toString() });
    });

    this.addValidator(pubsub, this.topics.txs, (data, from) => this.handlers.onTransactions(data, from));
    this.addValidator(pubsub, this.topics.consensus, (data, from) => this.handlers.onConsensus(data, from));

    for (const name of this.o.requestNames) {
      await node.handle(
        `${this.o.topicPrefix}/req/${name}/1`,
        async (stream, connection) => {
          const from = connection.remotePeer.toString();
          const signal = AbortSignal.timeout(this.o.requestTimeoutMs);
          try {
            const lp = lpStream(stream, { maxDataLength: this.o.maxRequestBytes });
            const request = await lp.read({ signal });
            const response = await this.handlers.onRequest(name, request.subarray(), from);
            if (response.length > this.o.maxResponseBytes) throw new Error("response too large");
            await lp.write(response, { signal });
            await stream.close({ signal });
          } catch (err) {
            this.log.debug("request failed", { name, peer: from, err });
            stream.abort(err instanceof Error ? err : new Error(String(err)));
          }
        },
        { maxInboundStreams: 64 },
      );
    }

    await node.start();
    pubsub.subscribe(this.topics.txs);
    pubsub.subscribe(this.topics.consensus);
    this.redialTimer = setInterval(() => this.redial(), this.o.redialIntervalMs);
    this.redialTimer.unref();
    this.redial();
    this.log.info("network started", { listen: this.listenAddresses(), peers: this.o.peers.length });
  }

  /** Run the handler inside gossipsub's validation: it sees each message once, before any forwarding. */
  private addValidator(pubsub: GossipSub, topic: string, handle: (data: Uint8Array, from: string) => Promise<GossipVerdict> | GossipVerdict): void {
    pubsub.topicValidators.set(topic, async (peer, message) => {
      const from = peer.toString();
      this.counters.received++;
      // [REJECT] oversized payloads (decoding limits are enforced again by the handler)
      if (message.data.length > this.o.maxGossipBytes) {
        this.counters.rejected++;
        return TopicValidatorResult.Reject;
      }
      let verdict: GossipVerdict;
      try {
        verdict = await handle(message.data, from);
      } catch (err) {
        this.log.debug("gossip handler threw", { topic, peer: from, err });
        verdict = "reject";
      }
      if (verdict === "reject") this.counters.rejected++;
      return VERDICT[verdict];
    });
  }

  /** Dial configured peers we are not connected to. The lower peer id dials first to avoid duplicate connections. */
  private redial(): void {
    const node = this.node;
    if (node === null || this.stopping) return;
    const connected = new Set(node.getConnections().map((c) => c.remotePeer.toString()));
    const now = Date.now();
    for (const p of this.o.peers) {
      if (connected.has(p.peerId) || this.dialing.has(p.peerId)) continue;
      // The higher id waits a few seconds for the lower one to dial, then dials itself.
      const quietFor = now - (this.lastConnected.get(p.peerId) ?? 0);
      if (this.peerId > p.peerId && quietFor < 3 * this.o.redialIntervalMs) continue;
      this.dialing.add(p.peerId);
      node
        .dial(multiaddr(`${p.address}/p2p/${p.peerId}`), { signal: AbortSignal.timeout(5000) })
        .then(() => this.lastConnected.set(p.peerId, Date.now()))
        .catch((err: unknown) => this.log.debug("dial failed", { peer: p.peerId, err }))
        .finally(() => this.dialing.delete(p.peerId));
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.redialTimer !== null) clearInterval(this.redialTimer);
    await this.node?.stop();
    this.node = null;
  }

  publishTransactions(data: Uint8Array): Promise<void> {
    return this.publish(this.topics.txs, data);
  }

  publishConsensus(data: Uint8Array): Promise<void> {
    return this.publish(this.topics.consensus, data);
  }

  private async publish(topic: string, data: Uint8Array): Promise<void> {
    const node = this.node;
    if (node === null || this.stopping) return;
    if (data.length > this.o.maxGossipBytes) throw new Error(`gossip message of ${data.length} bytes exceeds ${this.o.maxGossipBytes}`);
    this.counters.published++;
    await node.services.pubsub.publish(topic, data);
  }

  /** Send one request on a fresh stream and read one length-prefixed response. */
  async request(peerId: string, name: string, body: Uint8Array): Promise<Uint8Array> {
    const node = this.node;
    if (node === null) throw new Error("network not started");
    if (!this.allowed.has(peerId)) throw new Error(`peer ${peerId} is not configured`);
    if (body.length > this.o.maxRequestBytes) throw new Error("request too large");
    const signal = AbortSignal.timeout(this.o.requestTimeoutMs);
    const stream = await node.dialProtocol(peerIdFromString(peerId), `${this.o.topicPrefix}/req/${name}/1`, { signal });
    try {
      const lp = lpStream(stream, { maxDataLength: this.o.maxResponseBytes });
      await lp.write(body, { signal });
      const response = await lp.read({ signal });
      await stream.close({ signal }).catch(() => undefined);
      return response.subarray();
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  connectedPeers(): string[] {
    const node = this.node;
    if (node === null) return [];
    const ids = new Set(node.getConnections().map((c) => c.remotePeer.toString()));
    return [...ids].filter((id) => this.allowed.has(id));
  }

  listenAddresses(): string[] {
    return this.node?.getMultiaddrs().map((a) => a.toString()) ?? [];
  }

  stats(): { connected: number; rejected: number; published: number; received: number } {
    return { connected: this.connectedPeers().length, ...this.counters };
  }
}
