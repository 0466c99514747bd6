/**
 * Clients whose submitted transactions keep failing signature checks (issue 8 #3: batches of 1,000
 * transactions naming a real issuer key with wrong signatures pegged a node for free). A bad signature
 * costs the node a full Ed25519 verification and costs the sender nothing, and no honest client sends
 * many: each one counts against the client's address, decaying with time. Past `throttleAt` the client
 * may have one submission in flight; past `banAt` it is refused (429) for `banMs`, doubling per repeat.
 * Pure: the caller passes the time.
 */
import { LRUCache } from "lru-cache";

export interface ClientGuardOptions {
  /** Bad signatures (decayed) after which the client may have one submission in flight. */
  throttleAt: number;
  /** Bad signatures (decayed) after which the client is refused. */
  banAt: number;
  /** The count halves every this many ms. */
  halfLifeMs: number;
  /** First refusal; each further one doubles, up to maxBanMs. */
  banMs: number;
  maxBanMs: number;
  /** Clients tracked at once (least recently seen forgotten first). */
  maxTrackedClients: number;
}

export const defaultClientGuardOptions: ClientGuardOptions = {
  throttleAt: 16,
  banAt: 64,
  halfLifeMs: 60_000,
  banMs: 60_000,
  maxBanMs: 15 * 60_000,
  maxTrackedClients: 10_000,
};

interface ClientRecord {
  score: number;
  at: number;
  bans: number;
  bannedUntil: number;
  inFlight: number;
}

/** A client's standing: free, throttled (one submission at a time) or banned until a time. */
export type ClientStanding = { kind: "ok" } | { kind: "throttled" } | { kind: "banned"; until: number };

export class ClientGuard {
  private readonly clients: LRUCache<string, ClientRecord>;

  constructor(private readonly options: ClientGuardOptions = defaultClientGuardOptions) {
    this.clients = new LRUCache({ max: options.maxTrackedClients });
  }

  standing(client: string, now: number): ClientStanding {
    const r = this.clients.get(client);
    if (r === undefined) return { kind: "ok" };
    if (r.bannedUntil > now) return { kind: "banned", until: r.bannedUntil };
    return this.decayed(r, now) >= this.options.throttleAt ? { kind: "throttled" } : { kind: "ok" };
  }

  /** Count `count` bad signatures from `client`; returns its standing after them. */
  badSignatures(client: string, count: number, now: number): ClientStanding {
    if (count <= 0) return this.standing(client, now);
    const r = this.record(client, now);
    r.score = this.decayed(r, now) + count;
    r.at = now;
    if (r.bannedUntil <= now && r.score >= this.options.banAt) {
      r.bannedUntil = now + Math.min(this.options.banMs * 2 ** r.bans, this.options.maxBanMs);
      r.bans++;
      r.score = 0;
    }
    return this.standing(client, now);
  }

  /** Start a submission; false when a throttled client already has one in flight. */
  enter(client: string, now: number): boolean {
    const r = this.record(client, now);
    if (r.inFlight > 0 && this.standing(client, now).kind === "throttled") return false;
    r.inFlight++;
    return true;
  }

  leave(client: string): void {
    const r = this.clients.get(client);
    if (r !== undefined) r.inFlight = Math.max(0, r.inFlight - 1);
  }

  private record(client: string, now: number): ClientRecord {
    let r = this.clients.get(client);
    if (r === undefined) {
      r = { score: 0, at: now, bans: 0, bannedUntil: 0, inFlight: 0 };
      this.clients.set(client, r);
    }
    return r;
  }

  private decayed(r: ClientRecord, now: number): number {
    return r.score * 0.5 ** (Math.max(0, now - r.at) / this.options.halfLifeMs);
  }
}
