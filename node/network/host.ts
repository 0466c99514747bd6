/** The libp2p host of a node: TCP, Noise, yamux, identify and gossipsub, with certchain's limits. */
import { noise } from "@chainsafe/libp2p-noise";
import { type GossipSub, gossipsub } from "@libp2p/gossipsub";
import { type Identify, identify } from "@libp2p/identify";
import type { ConnectionGater, Libp2p, PrivateKey } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { createLibp2p } from "libp2p";
import { gossipConfig } from "./gossip-config.js";

/** The libp2p services a node runs. */
export type HostServices = { identify: Identify; pubsub: GossipSub };

/** A running (or not yet started) libp2p host. */
export type Host = Libp2p<HostServices>;

/** How the host listens and how long an inbound connection may take to upgrade. */
export interface HostOptions {
  /** multiaddrs to listen on; nothing else is listened on */
  listen: string[];
  /** An inbound connection must finish Noise and yamux within this (libp2p's default is 10 s): a silent socket frees its slot then. */
  inboundUpgradeTimeoutMs: number;
}

/** Defaults; `listen` has none. */
export const defaultHostOptions: Omit<HostOptions, "listen"> = { inboundUpgradeTimeoutMs: 3_000 };

/** What the host is built from. */
export interface HostModules {
  privateKey: PrivateKey;
  gater: ConnectionGater;
  /** configured peers (this node left out) */
  peerCount: number;
  /** peers that may be added at run time: libp2p's connection caps leave room for them */
  peerHeadroom: number;
  /** the gossip topics, the only ones allowed */
  topics: string[];
  /** pending inbound connections libp2p may hold in all; the gater's per-address budgets stay below it */
  maxPendingInbound: number;
}

/** Create the libp2p host, not started. */
export function createHost(options: HostOptions, modules: HostModules): Promise<Host> {
  return createLibp2p<HostServices>({
    start: false,
    privateKey: modules.privateKey,
    addresses: { listen: options.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: modules.gater,
    connectionManager: {
      // libp2p refuses a 6th inbound connection per second from one host before the handshake; a whole
      // cluster on one host (testnet) dials the highest id at once, so allow every peer twice over.
      inboundConnectionThreshold: Math.max(5, 2 * (modules.peerCount + modules.peerHeadroom)),
      maxIncomingPendingConnections: Math.max(10, 2 * (modules.peerCount + modules.peerHeadroom), modules.maxPendingInbound),
      inboundUpgradeTimeout: options.inboundUpgradeTimeoutMs,
    },
    // A publish burst can starve pings; aborting then loses everything queued (libp2p-notes pitfall 1).
    connectionMonitor: { abortConnectionOnPingFailure: false },
    services: {
      identify: identify(),
      pubsub: gossipsub(gossipConfig(modules.peerCount, modules.topics)),
    },
  });
}
