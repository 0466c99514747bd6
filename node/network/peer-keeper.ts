/**
 * The peer keeper: keeps this node connected to its static peers. Only the lower peer id of a pair
 * tags the other KEEP_ALIVE and dials (libp2p-notes pitfall 3); an application redial loop dials
 * configured peers without a connection (libp2p redials KEEP_ALIVE peers only a few times after a drop
 * and never one that was down at start: pitfall 2), and heals a connection whose gossip stream broke.
 */
import { type Connection, KEEP_ALIVE } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { Host } from "./host.js";
import type { PeerPenalties } from "./penalties.js";
import { type ConfiguredPeers, P2P_CODE, type PeerSetDiff, type StaticPeer } from "./peers.js";
import { clockTimeout, unref } from "./timers.js";

/** How often the keeper redials. */
export interface PeerKeeperOptions {
  /** redial interval once the first quick retries are over */
  redialIntervalMs: number;
}

/** Defaults. */
export const defaultPeerKeeperOptions: PeerKeeperOptions = { redialIntervalMs: 1_000 };

/** What the keeper works with. */
export interface PeerKeeperModules {
  peers: ConfiguredPeers;
  penalties: PeerPenalties;
  clock: Clock;
  log: Logger;
  /** true while the admin isolation switch is on: no dials */
  isIsolated(): boolean;
}

/** The higher peer id dials too, once per this many redial intervals, while a peer stays unreachable. */
const FALLBACK_DIAL_INTERVALS = 5;
/** A connected peer missing from gossipsub this long has a broken gossip stream: reconnect it. */
const GOSSIP_GRACE_MS = 10_000;
const FIRST_REDIAL_MS = 100;

/** Keeps the configured peers connected; one per node, attached to its host while it runs. */
export class PeerKeeper {
  private host: Host | null = null;
  private redialTimer: unknown = null;
  private stopped = false;
  private readonly downSince = new Map<string, number>();
  private readonly gossipMissingSince = new Map<string, number>();
  private readonly dialing = new Set<string>();
  /** Connections whose remote answered identify: it accepted us (see connectedPeers). */
  private readonly identified = new WeakSet<Connection>();

  constructor(
    private readonly options: PeerKeeperOptions,
    private readonly modules: PeerKeeperModules,
  ) {}

  /** Put the static peers in the peer store and watch identify (before the host starts). */
  async register(host: Host): Promise<void> {
    host.addEventListener("peer:identify", (evt) => this.identified.add(evt.detail.connection));
    // A handshake the gater let through just before its peer was removed (updatePeers) ends here.
    host.addEventListener("connection:open", (evt) => {
      const remote = evt.detail.remotePeer.toString();
      if (!this.modules.peers.has(remote)) evt.detail.abort(new Error("peer is no longer configured"));
    });
    for (const [key, peer] of this.modules.peers.entries()) await this.remember(host, key, peer);
  }

  /** Record a configured peer's address in the peer store, tagged KEEP_ALIVE on the side that dials. */
  private async remember(host: Host, key: string, peer: StaticPeer): Promise<void> {
    // KEEP_ALIVE makes libp2p dial at start and after a drop; only on the side that dials, so a
    // pair does not race into two connections (pitfall 3). The redial loop covers the rest.
    // patch, not merge, for the address: a peer whose address changed must not be dialled at the old one.
    await host.peerStore.patch(peer.id, { multiaddrs: [peer.dialAddr.decapsulateCode(P2P_CODE)] });
    if (this.modules.peers.isDialerFor(key)) await host.peerStore.merge(peer.id, { tags: { [KEEP_ALIVE]: { value: 1 } } });
  }

  /**
   * The peer set was just replaced (ConfiguredPeers.replace, which the gater already follows): forget
   * and disconnect removed peers, record added and readdressed ones, and dial at once. Peers in both
   * sets keep their connections; their penalty records are the network's and are not touched.
   */
  async applyDiff(host: Host, diff: PeerSetDiff): Promise<void> {
    for (const key of diff.removed) {
      this.downSince.delete(key);
      this.gossipMissingSince.delete(key);
      const id = peerIdFromString(key);
      // Untag first, so libp2p's own reconnect does not dial it again after the hang-up.
      await host.peerStore.merge(id, { tags: { [KEEP_ALIVE]: undefined } });
      await host.hangUp(id).catch((err: unknown) => this.modules.log.debug("hang up failed", { remote: key, err }));
    }
    for (const key of [...diff.added, ...diff.readdressed]) {
      const peer = this.modules.peers.get(key);
      if (peer !== undefined) await this.remember(host, key, peer); // undefined: replaced again meanwhile
    }
    if (diff.added.length > 0 || diff.readdressed.length > 0) this.redialSoon();
  }

  /** Start the redial loop on a started host. */
  start(host: Host): void {
    this.host = host;
    this.scheduleRedial(0);
  }

  /** Stop the redial loop for good. */
  stop(): void {
    this.stopped = true;
    this.host = null;
    this.cancelRedial();
  }

  /** Dial again at once (isolation lifted), forgetting how long peers have been apart. */
  redialNow(): void {
    this.downSince.clear();
    this.redialSoon();
  }

  /** Run the redial loop now, then back off again from its first interval (not before start, never after stop). */
  private redialSoon(): void {
    if (this.host === null || this.stopped) return;
    this.cancelRedial();
    this.scheduleRedial(0);
  }

  /**
   * Configured peers with an open connection that the remote has accepted. A dialler finishes its side
   * of the Noise handshake before the remote's gater has seen who it is, so a connection the remote
   * refuses (not configured, in its penalty box) is "open" here for a few ms before it is closed; only
   * a remote that answered identify or opened a stream has let us in.
   */
  connectedPeers(): string[] {
    return this.openPeers((c) => this.identified.has(c) || c.streams.some((s) => s.direction === "inbound"));
  }

  /** Configured peers with an open connection that `accepted` holds for. */
  private openPeers(accepted: (c: Connection) => boolean = () => true): string[] {
    const host = this.host;
    if (host === null) return [];
    const ids = new Set<string>();
    for (const c of host.getConnections()) {
      const id = c.remotePeer.toString();
      if (c.status === "open" && this.modules.peers.has(id) && accepted(c)) ids.add(id);
    }
    return [...ids];
  }

  private cancelRedial(): void {
    if (this.redialTimer !== null) this.modules.clock.clearTimeout(this.redialTimer);
    this.redialTimer = null;
  }

  /** Redial at once, then after 100, 200, 400… ms up to redialIntervalMs: nodes of a cluster started together are rarely listening yet when the first dials. */
  private scheduleRedial(delayMs: number): void {
    if (this.stopped) return;
    this.redialTimer = this.modules.clock.setTimeout(() => {
      this.redialTick();
      this.scheduleRedial(Math.min(Math.max(2 * delayMs, FIRST_REDIAL_MS), this.options.redialIntervalMs));
    }, delayMs);
    unref(this.redialTimer);
  }

  /**
   * Dial configured peers that have no connection. If the lower id cannot reach us for a while (down,
   * or a wrong address on its side), we dial it ourselves.
   */
  private redialTick(): void {
    const host = this.host;
    const { peers, penalties, clock, log } = this.modules;
    if (host === null || this.stopped || this.modules.isIsolated()) return;
    const now = clock.now();
    // Any open connection counts here: one still being accepted must not be dialled again.
    const connected = new Set(this.openPeers());
    const gossiping = new Set(host.services.pubsub.getPeers().map(String));
    for (const [key, peer] of peers.entries()) {
      if (connected.has(key)) {
        this.downSince.delete(key);
        this.checkGossip(host, key, peer, gossiping.has(key), now);
        continue;
      }
      this.gossipMissingSince.delete(key);
      if (penalties.banned(key, now)) continue;
      if (!this.downSince.has(key)) this.downSince.set(key, now);
      let dial = peers.isDialerFor(key);
      if (!dial && now - (this.downSince.get(key) as number) >= FALLBACK_DIAL_INTERVALS * this.options.redialIntervalMs) {
        // Seldom, so it rarely races the lower id's own dial into a duplicate connection.
        dial = true;
        this.downSince.set(key, now);
      }
      if (!dial || this.dialing.has(key)) continue;
      this.dialing.add(key);
      const timeout = clockTimeout(clock, Math.max(this.options.redialIntervalMs * 5, 5_000));
      host
        .dial(peer.dialAddr, { signal: timeout.signal })
        .then(() => log.debug("dialled peer", { remote: key }))
        .catch((err: unknown) => log.debug("dial failed", { remote: key, err }))
        .finally(() => {
          timeout.clear();
          this.dialing.delete(key);
        });
    }
  }

  /** Gossipsub drops a peer whose stream errored while the connection stays up; reconnect to heal it. */
  private checkGossip(host: Host, key: string, peer: StaticPeer, gossiping: boolean, now: number): void {
    if (gossiping) {
      this.gossipMissingSince.delete(key);
      return;
    }
    const since = this.gossipMissingSince.get(key) ?? now;
    this.gossipMissingSince.set(key, since);
    if (now - since < GOSSIP_GRACE_MS) return;
    this.gossipMissingSince.delete(key);
    this.modules.log.warn("connected peer has no gossip stream; reconnecting", { remote: key });
    host.hangUp(peer.id).catch((err: unknown) => this.modules.log.debug("hang up failed", { remote: key, err }));
  }
}
