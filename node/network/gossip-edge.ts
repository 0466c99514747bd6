/**
 * The gossip edge: publish on the two topics, and run every received message through its handler inside
 * gossipsub validation, so the verdict decides forwarding and scoring (style.md §4). A REJECT counts
 * against the relaying peer in the penalty box; past its threshold the peer is hung up on.
 */
import { TopicValidatorResult } from "@libp2p/gossipsub";
import type { Clock } from "../clock.js";
import { type GossipVerdict, LedgerError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Host } from "./host.js";
import type { PeerPenalties } from "./penalties.js";

/**
 * Gossipsub length-prefixes each RPC with it-length-prefixed's default 4 MiB cap and *silently drops*
 * a larger frame on send (logged inside gossipsub, publish() still resolves). A message shares its
 * frame with the envelope and piggybacked control/IHAVE ids, so leave headroom below 4 MiB.
 */
export const MAX_GOSSIP_BYTES = 4 * 1024 * 1024 - 256 * 1024;

/** Topics and size limit of gossip. */
export interface GossipEdgeOptions {
  /** e.g. "/certchain/<chainId>"; prefixes both topics */
  topicPrefix: string;
  /** larger messages are refused on publish and rejected on receipt; at most MAX_GOSSIP_BYTES */
  maxGossipBytes: number;
}

/** Defaults; `topicPrefix` has none. */
export const defaultGossipEdgeOptions: Omit<GossipEdgeOptions, "topicPrefix"> = { maxGossipBytes: MAX_GOSSIP_BYTES };

/** What the gossip edge hands messages to and reports offenders to. */
export interface GossipEdgeModules {
  /** gossip on the txs topic; a throw counts as Reject */
  onTransactions(data: Uint8Array, fromPeer: string): Promise<GossipVerdict> | GossipVerdict;
  /** gossip on the consensus topic */
  onConsensus(data: Uint8Array, fromPeer: string): Promise<GossipVerdict> | GossipVerdict;
  penalties: PeerPenalties;
  clock: Clock;
  log: Logger;
  /** disconnect a peer now in the penalty box */
  hangUp(peerId: string): void;
}

/** Gossip counters for metrics. */
export interface GossipCounters {
  rejected: number;
  published: number;
  received: number;
}

const VERDICT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

/** Publishes and validates gossip on the transaction and consensus topics. */
export class GossipEdge {
  readonly txTopic: string;
  readonly consensusTopic: string;
  readonly counters: GossipCounters = { rejected: 0, published: 0, received: 0 };

  constructor(
    private readonly options: GossipEdgeOptions,
    private readonly modules: GossipEdgeModules,
  ) {
    if (options.maxGossipBytes > MAX_GOSSIP_BYTES) throw new LedgerError("CONFIG", `maxGossipBytes may be at most ${MAX_GOSSIP_BYTES}`);
    this.txTopic = `${options.topicPrefix}/txs/1`;
    this.consensusTopic = `${options.topicPrefix}/consensus/1`;
  }

  get topics(): string[] {
    return [this.txTopic, this.consensusTopic];
  }

  /** Install the validators on `host` (before it starts). */
  register(host: Host): void {
    const pubsub = host.services.pubsub;
    for (const topic of this.topics) pubsub.topicValidators.set(topic, (peer, msg) => this.validate(topic, msg.data, peer.toString()));
  }

  /** Subscribe to both topics (after the host started). */
  subscribe(host: Host): void {
    for (const topic of this.topics) host.services.pubsub.subscribe(topic);
  }

  /** Throws BODY_TOO_LARGE for a message no peer would accept. */
  checkSize(data: Uint8Array): void {
    if (data.byteLength > this.options.maxGossipBytes) {
      throw new LedgerError("BODY_TOO_LARGE", `gossip message of ${data.byteLength} bytes exceeds ${this.options.maxGossipBytes}`);
    }
  }

  /**
   * Publish on `topic`; best-effort: a failure is logged, never thrown. Returns the peers it was written
   * to: gossipsub sends only to peers whose subscription it has received and to which it has
   * an open stream, so right after a connection is made (or remade) a publish may reach nobody.
   */
  async publish(host: Host, topic: string, data: Uint8Array): Promise<string[]> {
    this.checkSize(data);
    try {
      const { recipients } = await host.services.pubsub.publish(topic, data);
      this.counters.published++;
      return recipients.map(String);
    } catch (err) {
      this.modules.log.warn("publish failed", { topic, err });
      return [];
    }
  }

  /** Configured peers subscribed to both topics, among `isConfigured`. */
  subscribers(host: Host, isConfigured: (peerId: string) => boolean): string[] {
    const pubsub = host.services.pubsub;
    const tx = new Set(pubsub.getSubscribers(this.txTopic).map(String));
    return pubsub
      .getSubscribers(this.consensusTopic)
      .map(String)
      .filter((id) => tx.has(id) && isConfigured(id));
  }

  /** Run a gossip handler inside gossipsub's validation, so it runs once per message and decides forwarding. */
  private async validate(topic: string, data: Uint8Array, from: string): Promise<TopicValidatorResult> {
    let verdict: GossipVerdict;
    if (data.byteLength > this.options.maxGossipBytes) {
      verdict = "reject"; // [REJECT] larger than any honest node publishes
    } else {
      this.counters.received++;
      try {
        verdict = await (topic === this.txTopic ? this.modules.onTransactions(data, from) : this.modules.onConsensus(data, from));
      } catch (err) {
        this.modules.log.warn("gossip handler threw", { topic, from, err });
        verdict = "reject"; // [REJECT] the handler could not make sense of it
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
    const now = this.modules.clock.now();
    const until = this.modules.penalties.offence(peer, now);
    if (until === null) return;
    this.modules.log.warn("peer sent too much invalid gossip: disconnected and refused", { remote: peer, untilMs: until - now });
    this.modules.hangUp(peer);
  }
}
