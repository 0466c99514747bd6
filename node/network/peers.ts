/** The configured peers: who may connect, where to dial them, and which side of a pair dials. */
import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { LedgerError } from "../errors.js";

/** A configured peer: its peer id and a dialable multiaddr (a trailing /p2p/<id> is optional). */
export interface NetworkPeer {
  peerId: string;
  address: string;
}

/** A configured peer, parsed. */
export interface StaticPeer {
  id: PeerId;
  /** configured address with /p2p/<id>, what the redial loop dials */
  dialAddr: Multiaddr;
  /** the IP address in the configured address, or null for a DNS name */
  host: string | null;
}

/** Multiaddr protocol codes used here. */
export const P2P_CODE = 421;
const IP_CODES = new Set([4, 41]); // ip4, ip6

/** The IP address of a multiaddr, or null when it names none (DNS, memory…). */
export function hostOf(addr: Multiaddr): string | null {
  return addr.getComponents().find((c) => IP_CODES.has(c.code))?.value ?? null;
}

/** Parse one configured peer; its address may name only that peer. */
export function parsePeer(p: NetworkPeer): StaticPeer {
  const id = peerIdFromString(p.peerId);
  const addr = multiaddr(p.address);
  const p2p = addr.getComponents().find((c) => c.code === P2P_CODE);
  if (p2p !== undefined && p2p.value !== p.peerId) throw new LedgerError("CONFIG", `address ${p.address} names another peer than ${p.peerId}`);
  return { id, dialAddr: addr.decapsulateCode(P2P_CODE).encapsulate(`/p2p/${p.peerId}`), host: hostOf(addr) };
}

/** The static peer set of one node (itself left out). */
export class ConfiguredPeers {
  private readonly byId = new Map<string, StaticPeer>();

  constructor(
    /** this node's peer id */
    readonly selfId: string,
    peers: NetworkPeer[],
  ) {
    for (const p of peers) if (p.peerId !== selfId) this.byId.set(p.peerId, parsePeer(p));
  }

  get size(): number {
    return this.byId.size;
  }

  has(peerId: string): boolean {
    return this.byId.has(peerId);
  }

  get(peerId: string): StaticPeer | undefined {
    return this.byId.get(peerId);
  }

  entries(): IterableIterator<[string, StaticPeer]> {
    return this.byId.entries();
  }

  /** How many configured peers have each IP address in their configured address. */
  hostCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const p of this.byId.values()) if (p.host !== null) counts.set(p.host, (counts.get(p.host) ?? 0) + 1);
    return counts;
  }

  /** Only the lexicographically lower peer id of a pair dials, so the pair gets one connection (libp2p-notes pitfall 3). */
  isDialerFor(remote: string): boolean {
    return this.selfId < remote;
  }
}
