/**
 * The penalty box: gossipsub's score already stops forwarding to and from a peer that sends invalid
 * messages, but it keeps the connection and decays back within seconds. A configured peer that keeps
 * sending provably invalid data (bad signatures, garbage, oversized frames) is disconnected and
 * refused for a while, longer each time. Only REJECT verdicts count, and those are reserved for
 * content no honest node sends (errors.ts gossipVerdictFor), so honest peers are never boxed. Pure.
 */

/** When a peer goes into the penalty box and for how long. */
export interface PenaltyOptions {
  /** Offences (decayed) that put a peer in the box. */
  threshold: number;
  /** The offence count halves every this many ms. */
  halfLifeMs: number;
  /** First ban; each further ban doubles, up to maxBanMs. */
  banMs: number;
  maxBanMs: number;
}

/** Ten offences within seconds box a peer for 30 s, doubling per repeat up to 10 min. */
export const defaultPenaltyOptions: PenaltyOptions = { threshold: 10, halfLifeMs: 10_000, banMs: 30_000, maxBanMs: 10 * 60_000 };

interface PeerRecord {
  score: number;
  at: number;
  bans: number;
  bannedUntil: number;
}

/** Offence counts and bans per peer; times are passed in (the network's Clock). */
export class PeerPenalties {
  private readonly peers = new Map<string, PeerRecord>();

  constructor(private readonly options: PenaltyOptions = defaultPenaltyOptions) {}

  /** Count one offence at `now`; returns the ban's end when this offence starts a ban, else null. */
  offence(peer: string, now: number): number | null {
    const r = this.peers.get(peer) ?? { score: 0, at: now, bans: 0, bannedUntil: 0 };
    r.score = r.score * 0.5 ** (Math.max(0, now - r.at) / this.options.halfLifeMs) + 1;
    r.at = now;
    this.peers.set(peer, r);
    if (r.bannedUntil > now || r.score < this.options.threshold) return null;
    r.bannedUntil = now + Math.min(this.options.banMs * 2 ** r.bans, this.options.maxBanMs);
    r.bans++;
    r.score = 0;
    return r.bannedUntil;
  }

  /** True while `peer` is in the box at `now`. */
  banned(peer: string, now: number): boolean {
    return (this.peers.get(peer)?.bannedUntil ?? 0) > now;
  }

  /** Peers in the box now, with when they come out. */
  list(now: number): Array<{ peer: string; until: number; bans: number }> {
    return [...this.peers.entries()].filter(([, r]) => r.bannedUntil > now).map(([peer, r]) => ({ peer, until: r.bannedUntil, bans: r.bans }));
  }
}
