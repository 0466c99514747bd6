/**
 * Pending inbound connections per remote address (hardening finding 8 #6). libp2p holds at most
 * `maxIncomingPendingConnections` connections between accept and the end of the Noise/yamux upgrade,
 * for everyone together; 11 silent sockets from one host used to hold all of them for 10 s, so a
 * restarted validator could not get in. Here each address gets its own budget before the handshake: an
 * address no configured peer uses may hold only a few, all such addresses together a bounded number, and
 * an address of configured peers a few per peer there. libp2p's cap is set to the sum, so it never refuses
 * first, and a flood from one address cannot take another's slots. Within one address (a whole cluster
 * on one host) the gater lets the newest connection push out the oldest pending one. Pure bookkeeping.
 */

/** Budgets of pending (not yet upgraded) inbound connections. */
export interface InboundAdmissionOptions {
  /** At once from one address that no configured peer uses (one that is NATed or multi-homed still gets in). */
  maxPendingPerUnknownAddress: number;
  /** At once from all addresses that no configured peer uses. */
  maxPendingUnknown: number;
  /** At once from a configured peer's address, per configured peer with that address. */
  maxPendingPerPeer: number;
}

/** Defaults: a peer needs one slot for its dial, more while an old connection is being replaced or a flood shares its host. */
export const defaultInboundAdmissionOptions: InboundAdmissionOptions = { maxPendingPerUnknownAddress: 2, maxPendingUnknown: 8, maxPendingPerPeer: 4 };

/** Counts pending inbound connections per address against their budgets. */
export class InboundAdmission {
  private readonly pending = new Map<string, number>();
  /** Of `pending`, how many were admitted as an unknown address (counted in unknownPending). */
  private readonly pendingUnknown = new Map<string, number>();
  private unknownPending = 0;

  constructor(
    private readonly options: InboundAdmissionOptions,
    /** configured peers per IP address (ConfiguredPeers.hostCounts) */
    private peersPerHost: Map<string, number>,
  ) {}

  /** The peer set changed (Network.updatePeers): budgets follow at once; handshakes already pending keep the class they were admitted in. */
  setPeersPerHost(peersPerHost: Map<string, number>): void {
    this.peersPerHost = peersPerHost;
  }

  /** libp2p's own cap must exceed every budget together, so it never refuses before these budgets do. */
  get totalBudget(): number {
    return this.budgetWith(0);
  }

  /** The budgets together if `extraPeers` more peers (each at its own address) joined the set. */
  budgetWith(extraPeers: number): number {
    let peers = extraPeers;
    for (const n of this.peersPerHost.values()) peers += n;
    return this.options.maxPendingUnknown + this.options.maxPendingPerPeer * peers;
  }

  /** One more pending connection from `host`: true (and counted) if within its budgets. */
  admit(host: string): boolean {
    const count = this.pending.get(host) ?? 0;
    const peers = this.peersPerHost.get(host) ?? 0;
    if (peers > 0) {
      if (count >= this.options.maxPendingPerPeer * peers) return false;
    } else {
      if (count >= this.options.maxPendingPerUnknownAddress || this.unknownPending >= this.options.maxPendingUnknown) return false;
      this.unknownPending++;
      this.pendingUnknown.set(host, (this.pendingUnknown.get(host) ?? 0) + 1);
    }
    this.pending.set(host, count + 1);
    return true;
  }

  /** A connection `admit` counted has been upgraded or closed. */
  release(host: string): void {
    const count = this.pending.get(host) ?? 0;
    if (count <= 0) return;
    if (count === 1) this.pending.delete(host);
    else this.pending.set(host, count - 1);
    // Free an unknown slot only if one was taken for this address (the peer set may have changed since).
    const unknown = this.pendingUnknown.get(host) ?? 0;
    if (unknown > 0) {
      if (unknown === 1) this.pendingUnknown.delete(host);
      else this.pendingUnknown.set(host, unknown - 1);
      this.unknownPending--;
    }
  }

  /** Pending connections from `host` now. */
  pendingFrom(host: string): number {
    return this.pending.get(host) ?? 0;
  }
}
