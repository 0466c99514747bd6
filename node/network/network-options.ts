/** The Network's public contract: its options and their defaults, the handlers it calls, its counters. */
import type { PrivateKey } from "@libp2p/interface";
import type { Clock } from "../clock.js";
import type { GossipVerdict } from "../errors.js";
import type { Logger } from "../logger.js";
import { defaultGossipEdgeOptions } from "./gossip-edge.js";
import { defaultHostOptions } from "./host.js";
import { type InboundAdmissionOptions, defaultInboundAdmissionOptions } from "./inbound-admission.js";
import { defaultPeerKeeperOptions } from "./peer-keeper.js";
import type { NetworkPeer } from "./peers.js";
import { type PenaltyOptions, defaultPenaltyOptions } from "./penalties.js";
import { defaultRequestResponseOptions } from "./request-response.js";

/** How a node's network is set up; every tunable has a default in defaultNetworkOptions. */
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
  /** An inbound connection must finish its handshake within this (host.ts). */
  inboundUpgradeTimeoutMs?: number;
  /** Budgets of pending inbound handshakes per remote address (inbound-admission.ts). */
  inboundAdmission?: InboundAdmissionOptions;
}

/** Defaults of every tunable of NetworkOptions, gathered from the network's modules. */
export const defaultNetworkOptions = {
  ...defaultRequestResponseOptions,
  ...defaultGossipEdgeOptions,
  ...defaultPeerKeeperOptions,
  ...defaultHostOptions,
  penalties: defaultPenaltyOptions,
  inboundAdmission: defaultInboundAdmissionOptions,
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

/** What the network runs with: the handlers, a clock and optionally a logger. */
export interface NetworkModules extends NetworkHandlers {
  /** penalty box times, the redial loop and request timeouts run on it */
  clock: Clock;
  /** defaults to a "network" logger tagged with the end of this node's peer id */
  log?: Logger;
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
