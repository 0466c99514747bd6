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
  let id: PeerId;
  let addr: Multiaddr;
  try {
    id = peerIdFromString(p.peerId);
    addr = multiaddr(p.address);
  } catch (err) {
    throw new LedgerError("CONFIG", `peer ${JSON.stringify(p.peerId)} at ${JSON.stringify(p.address)}: ${(err as Error).message}`);
  }
  const p2p = addr.getComponents().find((c) => c.code === P2P_CODE);
  if (p2p !== undefined && p2p.value !== p.peerId) throw new LedgerError("CONFIG", `address ${p.address} names another peer than ${p.peerId}`);
  return { id, dialAddr: addr.decapsulateCode(P2P_CODE).encapsulate(`/p2p/${p.peerId}`), host: hostOf(addr) };
}

/**
 * Parse a whole peer list, this node left out, each peer id once (the same peer listed twice at two
 * addresses is refused). Throws a CONFIG error naming the first bad entry, so a caller can check a
 * list before changing anything.
 */
export function parsePeerList(selfId: string, peers: readonly NetworkPeer[]): Map<string, StaticPeer> {
  const byId = new Map<string, StaticPeer>();
  for (const p of peers) {
    if (p.peerId === selfId) continue;
    const parsed = parsePeer(p);
    const seen = byId.get(p.peerId);
    if (seen !== undefined && !seen.dialAddr.equals(parsed.dialAddr)) {
      throw new LedgerError("CONFIG", `peer ${p.peerId} is listed twice, at ${seen.dialAddr.decapsulateCode(P2P_CODE)} and ${p.address}`);
    }
    byId.set(p.peerId, parsed);
  }
  return byId;
}

/** How a new peer set differs from the current one, by peer id. */
export interface PeerSetDiff {
  /** in the new set only: allowed and dialled from now on */
  added: string[];
  /** in the current set only: disconnected and refused from now on */
  removed: string[];
  /** in both, at another address: the connection stays, redials use the new address */
  readdressed: string[];
  /** in both, at the same address */
  unchanged: string[];
}

/** Compare two peer sets (pure). Each list is sorted, so a diff reads the same whatever the order of the config. */
export function diffPeerSets(current: ReadonlyMap<string, StaticPeer>, next: ReadonlyMap<string, StaticPeer>): PeerSetDiff {
  const diff: PeerSetDiff = { added: [], removed: [], readdressed: [], unchanged: [] };
  for (const [id, peer] of next) {
    const old = current.get(id);
    if (old === undefined) diff.added.push(id);
    else if (old.dialAddr.equals(peer.dialAddr)) diff.unchanged.push(id);
    else diff.readdressed.push(id);
  }
  for (const id of current.keys()) if (!next.has(id)) diff.removed.push(id);
  for (const list of Object.values(diff)) list.sort();
  return diff;
}

/**
 * The peer set of one node (itself left out): who may connect, where to dial. The gater, the keeper
 * and the network read it on every decision, so `replace` takes effect for all of them at once.
 */
export class ConfiguredPeers {
  private byId: Map<string, StaticPeer>;

  constructor(
    /** this node's peer id */
    readonly selfId: string,
    peers: readonly NetworkPeer[],
  ) {
    this.byId = parsePeerList(selfId, peers);
  }

  /** Swap in a parsed set (parsePeerList) in one step; returns what changed. */
  replace(next: Map<string, StaticPeer>): PeerSetDiff {
    const diff = diffPeerSets(this.byId, next);
    this.byId = next;
    return diff;
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
